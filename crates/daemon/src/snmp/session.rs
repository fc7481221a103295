//! One AgentX session after another: connect to the master, Open, Register the MIBs, answer
//! requests and send traps until the master closes; then connect again.

use super::Query;
use super::memory::Memory;
use super::snapshot::named_state;
use agentx::pdu::{HEADER_LEN, frame_len};
use agentx::rows::{InstanceRow, RowState};
use agentx::{Header, Oid, Payload, Pdu, Value, VarBind, View, keepalived_mib, rfc2787, rfc6527};
use anyhow::{Context, Result, bail};
use conf::snmp::{AgentxAddress, Snmp};
use ctl::EventRecord;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::{info, warn};

/// Pause between connection attempts.
pub const RECONNECT: Duration = Duration::from_secs(1);
/// How long the master may take to answer Open, Register and Notify.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);
/// How long the loop may take to give its rows.
const ROWS_WITHIN: Duration = Duration::from_secs(1);
/// How often the TTL error counters are read for protoError notifications.
const PROTO_ERRORS_EVERY: Duration = Duration::from_secs(1);
/// PDUs read ahead of the session.
const INCOMING: usize = 16;
/// snmpTrapOID.0.
const SNMP_TRAP_OID: [u32; 11] = [1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0];

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

async fn connect(address: &AgentxAddress) -> std::io::Result<Box<dyn Stream>> {
    Ok(match address {
        AgentxAddress::Unix(p) => Box::new(tokio::net::UnixStream::connect(p).await?),
        AgentxAddress::Tcp(h, port) => {
            Box::new(tokio::net::TcpStream::connect((h.as_str(), *port)).await?)
        }
    })
}

/// Serves sessions until the thread is stopped.
pub async fn run(
    settings: Snmp,
    queries: mpsc::Sender<Query>,
    mut transitions: broadcast::Receiver<EventRecord>,
) {
    let mut logged_down = false;
    let mut memory = Memory::default();
    loop {
        match connect(&settings.socket).await {
            Ok(stream) => {
                logged_down = false;
                let (reader, writer) = tokio::io::split(stream);
                let (tx, incoming) = mpsc::channel(INCOMING);
                let reading = tokio::spawn(read_all(reader, tx));
                let mut s = Session {
                    io: writer,
                    incoming,
                    settings: &settings,
                    queries: &queries,
                    memory: &mut memory,
                    id: 0,
                    packet: 0,
                };
                let ended = s.serve(&mut transitions).await;
                reading.abort();
                match ended {
                    Ok(()) => info!("the SNMP master closed the AgentX session"),
                    Err(e) => warn!(error = %format!("{e:#}"), "AgentX session ended"),
                }
            }
            Err(e) if !logged_down => {
                warn!(socket = ?settings.socket, error = %e, "cannot reach the SNMP master agent; trying again every second");
                logged_down = true;
            }
            Err(_) => {}
        }
        // Transitions while no master listens send no trap.
        while let Ok(record) = transitions.try_recv() {
            memory.transition(&record);
        }
        tokio::time::sleep(RECONNECT).await;
    }
}

struct Session<'a> {
    io: WriteHalf<Box<dyn Stream>>,
    incoming: mpsc::Receiver<Result<Pdu>>,
    settings: &'a Snmp,
    queries: &'a mpsc::Sender<Query>,
    /// What is remembered of the instances.
    memory: &'a mut Memory,
    id: u32,
    packet: u32,
}

impl Session<'_> {
    async fn serve(&mut self, transitions: &mut broadcast::Receiver<EventRecord>) -> Result<()> {
        let open = Payload::Open {
            timeout: 0,
            id: Oid::new(&keepalived_mib::KEEPALIVED),
            descr: b"havipd VRRP".to_vec(),
        };
        self.id = self.call(open).await.context("Open")?.header.session;
        for subtree in self.subtrees() {
            let register = Payload::Register {
                timeout: 0,
                priority: 127,
                subtree: subtree.clone(),
            };
            match self.call(register).await?.payload {
                Payload::Response { error: 0, .. } => {}
                Payload::Response { error, .. } => {
                    warn!(%subtree, error, "the SNMP master refused the registration")
                }
                _ => bail!("the master answered Register with another PDU"),
            }
        }
        info!(session = self.id, "AgentX session open");
        let mut check = tokio::time::interval(PROTO_ERRORS_EVERY);
        let proto_errors = self.settings.traps && self.settings.rfcv3;
        loop {
            tokio::select! {
                _ = check.tick(), if proto_errors => self.proto_errors().await?,
                pdu = self.incoming.recv() => {
                    if !self.answer(pdu.context("the SNMP master closed the socket")??).await? {
                        return Ok(());
                    }
                }
                t = transitions.recv() => match t {
                    Ok(record) => self.trap(&record).await?,
                    Err(broadcast::error::RecvError::Lagged(n)) => warn!(missed = n, "SNMP traps lost: the subagent fell behind"),
                    Err(broadcast::error::RecvError::Closed) => return Ok(()),
                },
            }
        }
    }

    fn subtrees(&self) -> Vec<Oid> {
        let mut v = Vec::new();
        if self.settings.keepalived_mib {
            v.push(keepalived_mib::subtree());
        }
        if self.settings.rfcv2 {
            v.push(rfc2787::subtree());
        }
        if self.settings.rfcv3 {
            v.push(rfc6527::subtree());
        }
        v
    }

    /// Sends a PDU of ours and waits for the master's Response (requests in between are
    /// answered as they come).
    async fn call(&mut self, payload: Payload) -> Result<Pdu> {
        self.packet += 1;
        let header = Header {
            session: self.id,
            transaction: self.packet,
            packet: self.packet,
        };
        write_pdu(
            &mut self.io,
            &Pdu {
                header,
                context: None,
                payload,
            },
        )
        .await?;
        let deadline = tokio::time::Instant::now() + ANSWER_WITHIN;
        loop {
            let pdu = tokio::time::timeout_at(deadline, self.incoming.recv())
                .await
                .context("the SNMP master did not answer")?
                .context("the SNMP master closed the socket")??;
            if matches!(pdu.payload, Payload::Response { .. }) && pdu.header.packet == self.packet {
                return Ok(pdu);
            }
            if !self.answer(pdu).await? {
                bail!("the SNMP master closed the session");
            }
        }
    }

    /// Answers a request; `false` when the master closes the session.
    async fn answer(&mut self, pdu: Pdu) -> Result<bool> {
        if matches!(pdu.payload, Payload::Close { .. }) {
            return Ok(false);
        }
        let view = match pdu.payload {
            Payload::Get(_) | Payload::GetNext(_) | Payload::GetBulk { .. } => self.view().await,
            _ => Some(View::default()),
        };
        let reply = match view {
            Some(v) => v.answer(&pdu.payload),
            None => Some(Payload::Response {
                uptime: 0,
                error: agentx::view::GEN_ERR,
                index: 1,
                varbinds: Vec::new(),
            }),
        };
        if let Some(payload) = reply {
            write_pdu(
                &mut self.io,
                &Pdu {
                    header: pdu.header,
                    context: None,
                    payload,
                },
            )
            .await?;
        }
        Ok(true)
    }

    /// The loop's rows, or None when it is busy.
    async fn rows(&self) -> Option<Vec<InstanceRow>> {
        let (reply, rx) = oneshot::channel();
        self.queries.try_send(Query { reply }).ok()?;
        let mut rows = tokio::time::timeout(ROWS_WITHIN, rx).await.ok()?.ok()?;
        self.memory.annotate(&mut rows);
        Some(rows)
    }

    async fn view(&self) -> Option<View> {
        let rows = self.rows().await?;
        let mut view = View::default();
        if self.settings.keepalived_mib {
            keepalived_mib::view(&rows, &mut view);
        }
        if self.settings.rfcv2 {
            rfc2787::view(&rows, self.settings.traps, &mut view);
        }
        if self.settings.rfcv3 {
            rfc6527::view(&rows, &mut view);
        }
        Some(view)
    }

    /// keepalived's traps for a transition: vrrpInstanceStateChange, and vrrpTrapNewMaster on
    /// becoming master.
    async fn trap(&mut self, record: &EventRecord) -> Result<()> {
        self.memory.transition(record);
        if !self.settings.traps {
            return Ok(());
        }
        let Some(mut row) = self
            .rows()
            .await
            .and_then(|rows| rows.into_iter().find(|r| r.name == record.instance))
        else {
            return Ok(());
        };
        row.state = named_state(&record.to);
        if self.settings.keepalived_mib {
            let binds = keepalived_mib::state_change(&row, &self.settings.router_id);
            self.notify(keepalived_mib::state_change_oid(), binds)
                .await?;
        }
        if self.settings.rfcv2 && row.state == RowState::Master && rfc2787::covers(&row) {
            self.notify(rfc2787::new_master_oid(), rfc2787::new_master(&row))
                .await?;
        }
        if self.settings.rfcv3 && row.state == RowState::Master && rfc6527::covers(&row) {
            self.notify(rfc6527::new_master_oid(), rfc6527::new_master(&row))
                .await?;
        }
        Ok(())
    }

    /// vrrpv3ProtoError for each instance whose TTL errors grew (one a check at most).
    async fn proto_errors(&mut self) -> Result<()> {
        let Some(rows) = self.rows().await else {
            return Ok(());
        };
        let grew = self.memory.new_ttl_errors(&rows);
        for mut row in rows
            .into_iter()
            .filter(|r| grew.contains(&r.name) && rfc6527::covers(r))
        {
            self.memory.annotate(std::slice::from_mut(&mut row));
            self.notify(rfc6527::proto_error_oid(), rfc6527::proto_error(&row))
                .await?;
        }
        Ok(())
    }

    async fn notify(&mut self, trap: Oid, binds: Vec<VarBind>) -> Result<()> {
        let mut all = vec![VarBind {
            name: Oid::new(&SNMP_TRAP_OID),
            value: Value::ObjectId(trap),
        }];
        all.extend(binds);
        match self.call(Payload::Notify(all)).await?.payload {
            Payload::Response { error: 0, .. } => {}
            Payload::Response { error, .. } => warn!(error, "the SNMP master refused a trap"),
            _ => {}
        }
        Ok(())
    }
}

/// Reads PDUs into `tx` until the socket ends or a PDU is malformed (sent as the last item).
async fn read_all(mut io: ReadHalf<Box<dyn Stream>>, tx: mpsc::Sender<Result<Pdu>>) {
    loop {
        let pdu = read_pdu(&mut io).await;
        let failed = pdu.is_err();
        if tx.send(pdu).await.is_err() || failed {
            return;
        }
    }
}

async fn read_pdu(io: &mut ReadHalf<Box<dyn Stream>>) -> Result<Pdu> {
    let mut head = [0u8; HEADER_LEN];
    io.read_exact(&mut head)
        .await
        .context("reading from the SNMP master")?;
    let mut bytes = vec![0u8; frame_len(&head)?];
    bytes[..HEADER_LEN].copy_from_slice(&head);
    io.read_exact(&mut bytes[HEADER_LEN..])
        .await
        .context("reading from the SNMP master")?;
    Ok(Pdu::decode(&bytes)?)
}

async fn write_pdu(io: &mut WriteHalf<Box<dyn Stream>>, pdu: &Pdu) -> Result<()> {
    io.write_all(&pdu.encode())
        .await
        .context("writing to the SNMP master")?;
    Ok(())
}
