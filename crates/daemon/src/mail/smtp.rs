//! The SMTP conversation keepalived 2.2.7 holds (`core/smtp.c`): greeting 220, `HELO` 250,
//! `MAIL FROM:<...>` 250, `RCPT TO:<...>` 250 for each recipient, `DATA` 354, the message 250,
//! `QUIT` 221. A wrong code ends the mail with `QUIT`, as keepalived does.
//!
//! Bounded: connecting and each reply wait `smtp_connect_timeout` at most, the whole
//! conversation [`STEPS`] times that, and a reply longer than [`MAX_REPLY`] bytes (keepalived's
//! buffer), continuation lines included, ends it. It runs on the mail thread, never on the VRRP loop.

use super::message::Mail;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant, SystemTime};

/// keepalived's reply buffer: a longer reply is refused.
pub const MAX_REPLY: usize = 1024;
/// The whole conversation's bound, in `smtp_connect_timeout`s.
pub const STEPS: u32 = 8;

/// A conversation with the server, within its deadline.
struct Conversation {
    stream: TcpStream,
    timeout: Duration,
    deadline: Instant,
    pending: Vec<u8>,
    /// Bytes of the reply being read, its continuation lines included.
    reply_len: usize,
}

impl Conversation {
    /// Waits for the reply's last line and returns its code.
    fn reply(&mut self) -> Result<u16, String> {
        loop {
            if let Some(code) = self.take_last_line()? {
                return Ok(code);
            }
            let left = self.deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("the server took too long over the conversation".into());
            }
            self.stream
                .set_read_timeout(Some(self.timeout.min(left)))
                .map_err(|e| e.to_string())?;
            let mut buf = [0u8; 512];
            match self.stream.read(&mut buf) {
                Ok(0) => return Err("the server closed the connection".into()),
                Ok(n) => self.pending.extend_from_slice(&buf[..n]),
                // A signal to the process (a reload, a dump) is not the server's silence.
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("no reply: {e}")),
            }
            if self.reply_len + self.pending.len() >= MAX_REPLY {
                return Err(format!("a reply over {MAX_REPLY} bytes"));
            }
        }
    }

    /// The code of the reply's last line (`250 ok`, after any `250-...`), if it has come.
    fn take_last_line(&mut self) -> Result<Option<u16>, String> {
        while let Some(end) = self.pending.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = self.pending.drain(..end + 2).collect();
            if line.get(3) == Some(&b'-') {
                self.reply_len += line.len();
                continue;
            }
            self.reply_len = 0;
            let code = std::str::from_utf8(line.get(..3).unwrap_or_default())
                .ok()
                .and_then(|c| c.parse::<u16>().ok())
                .ok_or_else(|| {
                    format!("not an SMTP reply: {:?}", String::from_utf8_lossy(&line))
                })?;
            return Ok(Some(code));
        }
        Ok(None)
    }

    fn send(&mut self, text: &str) -> Result<(), String> {
        self.stream
            .set_write_timeout(Some(self.timeout))
            .map_err(|e| e.to_string())?;
        self.stream
            .write_all(text.as_bytes())
            .map_err(|e| format!("cannot send: {e}"))
    }

    /// Sends `text` (nothing for the greeting) and expects `code`.
    fn step(&mut self, text: &str, code: u16, name: &str) -> Result<(), String> {
        if !text.is_empty() {
            self.send(text)?;
        }
        match self.reply()? {
            c if c == code => Ok(()),
            c => {
                let _ = self.send("QUIT\r\n");
                Err(format!("{name}: the server answered {c}"))
            }
        }
    }
}

/// Connects to the first of the server's addresses that answers within the time-out.
fn connect(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, String> {
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("{host}: {e}"))?;
    let mut last = format!("{host}: no address");
    for a in addrs {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => return Ok(s),
            Err(e) => last = format!("{a}: {e}"),
        }
    }
    Err(last)
}

/// Mails `mail`, as keepalived's conversation does.
pub fn send(mail: &Mail) -> Result<(), String> {
    let e = &mail.envelope;
    let started = Instant::now();
    let stream = connect(&e.server.0, e.server.1, e.timeout)?;
    let mut c = Conversation {
        stream,
        timeout: e.timeout,
        deadline: started + e.timeout * STEPS,
        pending: Vec::new(),
        reply_len: 0,
    };
    c.step("", 220, "(E)SMTP")?;
    c.step(&format!("HELO {}\r\n", e.helo), 250, "HELO")?;
    c.step(&format!("MAIL FROM:<{}>\r\n", e.from), 250, "MAIL")?;
    for to in &e.to {
        c.step(&format!("RCPT TO:<{to}>\r\n"), 250, "RCPT")?;
    }
    c.step("DATA\r\n", 354, "DATA")?;
    c.step(&mail.data(SystemTime::now()), 250, "BODY")?;
    // The mail is sent; a server that does not say goodbye changes nothing.
    let _ = c.step("QUIT\r\n", 221, "QUIT");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::message::Envelope;
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;
    use std::sync::Arc;

    /// A server on loopback answering each line it reads with `answer(line)`; returns the
    /// mail to send to it and the lines it got.
    fn server(
        answer: impl Fn(&str) -> Option<String> + Send + 'static,
    ) -> (Mail, std::thread::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let got = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().expect("accept");
            s.write_all(b"220-hello\r\n220 there\r\n").expect("greet");
            let mut lines = Vec::new();
            let mut r = BufReader::new(s.try_clone().expect("clone"));
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 0) {
                let l = line.trim_end().to_string();
                line.clear();
                match answer(&l) {
                    Some(a) => s.write_all(a.as_bytes()).expect("answer"),
                    None => continue,
                }
                lines.push(l);
            }
            lines
        });
        let envelope = Envelope {
            to: vec!["a@b".into(), "c@d".into()],
            from: "k@h".into(),
            helo: "box".into(),
            router_id: "R".into(),
            server: ("127.0.0.1".into(), port),
            timeout: Duration::from_secs(2),
            no_faults: false,
        };
        let mail = Mail::instance(Arc::new(envelope), "VI_1", "MASTER").expect("mail");
        (mail, got)
    }

    fn ok(line: &str) -> Option<String> {
        Some(match line {
            "DATA" => "354 go\r\n".into(),
            "QUIT" => "221 bye\r\n".into(),
            l if l.starts_with("HELO") || l.starts_with("MAIL") || l.starts_with("RCPT") => {
                "250 ok\r\n".into()
            }
            "." => "250-queued\r\n250 as 1\r\n".into(),
            _ => return None, // the message's lines
        })
    }

    #[test]
    fn the_conversation_is_keepalived_s() {
        let (mail, got) = server(ok);
        send(&mail).expect("sent");
        let lines = got.join().expect("server");
        assert_eq!(
            lines,
            [
                "HELO box",
                "MAIL FROM:<k@h>",
                "RCPT TO:<a@b>",
                "RCPT TO:<c@d>",
                "DATA",
                ".",
                "QUIT"
            ]
        );
    }

    #[test]
    fn a_refused_recipient_ends_the_mail_with_quit() {
        let (mail, got) = server(|l| {
            if l.starts_with("RCPT") {
                Some("550 no such user\r\n".into())
            } else {
                ok(l)
            }
        });
        let e = send(&mail).expect_err("refused");
        assert!(e.contains("RCPT") && e.contains("550"), "{e}");
        assert_eq!(
            got.join().expect("server").last().map(String::as_str),
            Some("QUIT")
        );
    }

    #[test]
    fn an_endless_reply_is_cut_at_keepalived_s_buffer() {
        let (mail, _got) = server(|l| l.starts_with("HELO").then(|| "250-x\r\n".repeat(400)));
        let e = send(&mail).expect_err("too long");
        assert!(e.contains("1024"), "{e}");
    }

    #[test]
    fn a_silent_server_fails_the_mail_at_smtp_connect_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        // The server accepts and says nothing until the mail has failed.
        let (failed, wait) = std::sync::mpsc::channel::<()>();
        let held = std::thread::spawn(move || {
            let (s, _) = listener.accept().expect("accept");
            let _ = wait.recv_timeout(Duration::from_secs(30));
            drop(s);
        });
        let envelope = Envelope {
            to: vec!["a@b".into()],
            from: "k@h".into(),
            helo: "box".into(),
            router_id: "R".into(),
            server: ("127.0.0.1".into(), port),
            timeout: Duration::from_secs(1),
            no_faults: false,
        };
        let mail = Mail::instance(Arc::new(envelope), "VI_1", "MASTER").expect("mail");
        let started = Instant::now();
        let e = send(&mail).expect_err("no greeting");
        let took = started.elapsed();
        let _ = failed.send(());
        assert!(e.contains("no reply"), "{e}");
        // One read's timeout (1 s), not the conversation's bound (8 s): the margin between them
        // is for a loaded machine, not a speed target.
        assert!(
            took >= Duration::from_millis(900) && took < Duration::from_secs(5),
            "{took:?}: {e}"
        );
        held.join().expect("server");
    }
}
