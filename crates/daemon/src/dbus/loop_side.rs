//! The event loop's side of the D-Bus service: carries out its requests.

use super::{Action, Request};
use crate::control::Answer;
use crate::run::Daemon;
use crate::signum::Dump;
use tracing::info;

impl Daemon {
    /// Carries out a request of the D-Bus service and answers it.
    pub async fn answer_dbus(&mut self, request: Request) {
        let answer = match request.action {
            Action::Control(r) => self.answer(r).await,
            Action::PrintData => {
                info!("D-Bus: PrintData");
                self.dump(Dump::Data).await;
                Answer::Replies(Vec::new())
            }
            Action::PrintStats => {
                info!("D-Bus: PrintStats");
                self.write_stats();
                self.dump(Dump::Stats).await;
                Answer::Replies(Vec::new())
            }
        };
        // The caller may have given up; nothing to do then.
        let _ = request.answer.send(answer);
    }
}
