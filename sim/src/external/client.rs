//! sksim's side of the adapter protocol: [`ExternalFactory`] starts the adapter process and hands out instances
//! that forward every [`Implementation`] call as a request.
//!
//! Nothing the adapter does can crash the harness. An adapter that exits, closes its output or stops answering
//! within the timeout is a crash or a hang of the implementation ([`IncidentKind::Crashed`],
//! [`IncidentKind::TimedOut`]: judged by `no-crash`); an answer the protocol does not allow is a protocol error
//! ([`IncidentKind::ProtocolError`], counted). The failed operation is answered with a rejection
//! ([`ADAPTER_FAILURE`]) so the run goes on. After a crash, a hang or an answer that leaves the two sides out of
//! step (not JSON, the wrong `id`), sksim stops the process. The instances it held are gone: requests for them
//! are refused ([`ADAPTER_STATE_LOST`]) and counted. When the run next needs a new instance (a member joins,
//! the adversary clones a state), sksim starts the adapter again, up to [`ADAPTER_RESTARTS_MAX`] times.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, sync_channel};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand_core::CryptoRng;
use senderkeys::{GroupId, MemberId};

use super::protocol::{
    self, DistributionAnswer, Done, Encrypted, Forged, Forwarded, Hello, Op, PROTOCOL_VERSION, RANDOM_BYTES,
    Request, Response, SigningKey, SkippedKeys, State, b64, unb64,
};
use crate::implementation::{
    Accepted, AdapterReport, ChainPosition, Implementation, ImplementationFactory, Incident, IncidentKind,
    Rejection, Transport, UNSUPPORTED, WorkBudget,
};
use crate::limits::{
    ADAPTER_INCIDENTS_KEPT, ADAPTER_RESTARTS_MAX, ADAPTER_STDERR_TAIL_BYTES, LINE_BYTES_MAX, NAME_BYTES_MAX,
};

/// How long sksim waits for each answer unless told otherwise (`--adapter-timeout`).
pub const ADAPTER_TIMEOUT_DEFAULT: Duration = Duration::from_secs(10);

/// Answers buffered between the thread reading the adapter's output and the engine (the protocol is lockstep, so
/// more only accumulate when an adapter writes unasked).
const LINES_BUFFERED: usize = 16;

/// The rejection reason of an operation the adapter failed to answer (crash, hang, protocol error).
pub const ADAPTER_FAILURE: &str = "adapter-failure";

/// The rejection reason of an operation for an instance that lived in an adapter process that has since failed.
pub const ADAPTER_STATE_LOST: &str = "adapter-state-lost";

/// Makes instances that live in an external adapter process (`external:<command line>`).
pub struct ExternalFactory {
    adapter: Arc<Mutex<Adapter>>,
    name: String,
    transport: Transport,
    skipped_keys_max: usize,
}

impl std::fmt::Debug for ExternalFactory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExternalFactory")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ExternalFactory {
    /// Starts the adapter `command_line` (split like a shell would: quotes group words; no variables, no
    /// pipes) in the current directory and says hello.
    ///
    /// # Errors
    ///
    /// When the command line is empty or unbalanced, the program cannot be started, or it does not complete
    /// the `hello` exchange — no run is possible then, so this is an error of the input rather than a finding.
    pub fn start(command_line: &str, timeout: Duration) -> Result<Self, String> {
        let words = shlex::split(command_line)
            .filter(|words| !words.is_empty())
            .ok_or_else(|| {
                format!(
                    "`external:{command_line}`: expected a command line after `external:`, e.g. \
                     `external:python3 my_adapter.py` (quotes must be balanced)"
                )
            })?;
        let mut adapter = Adapter {
            words,
            timeout,
            process: None,
            generation: 0,
            next_id: 0,
            next_instance: 0,
            failed_starts: 0,
            incidents: Vec::new(),
            report: AdapterReport {
                command: command_line.to_owned(),
                ..AdapterReport::default()
            },
            export_sender_unsupported: false,
        };
        let hello = adapter
            .launch()
            .map_err(|e| format!("the adapter `{command_line}` could not be started: {e}"))?;
        let skipped_keys_max = usize::try_from(hello.skipped_keys_max).unwrap_or(usize::MAX);
        Ok(ExternalFactory {
            adapter: Arc::new(Mutex::new(adapter)),
            name: format!("external:{}", hello.name),
            transport: hello.transport,
            skipped_keys_max,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Adapter> {
        lock(&self.adapter)
    }

    fn instance(&self, handle: u64, generation: u64, member: String) -> Instance {
        Instance {
            adapter: Arc::clone(&self.adapter),
            handle,
            generation,
            member,
            last_sent: None,
            skipped: RefCell::new(None),
        }
    }
}

/// The adapter's lock. A panic while holding it can only come from a bug in this module; the state stays usable.
fn lock(adapter: &Mutex<Adapter>) -> MutexGuard<'_, Adapter> {
    adapter.lock().unwrap_or_else(PoisonError::into_inner)
}

impl ImplementationFactory for ExternalFactory {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn create(&self, group: &GroupId, member: &MemberId) -> Box<dyn Implementation> {
        let mut adapter = self.lock();
        let handle = adapter.new_handle();
        let op = Op::Create {
            instance: handle,
            group: group.to_string(),
            member: member.to_string(),
        };
        // The instance of a failed `create` answers every request with a refusal. A crash or a broken answer is
        // already an incident; a refusal is one too: the protocol requires `create` to succeed.
        let generation = match adapter.call(member.as_str(), op) {
            Ok(Answer { result: Ok(_), .. }) => adapter.generation,
            Ok(Answer {
                result: Err(rejection),
                ..
            }) => {
                adapter.record(
                    IncidentKind::ProtocolError,
                    format!(
                        "{member}, `create`: refused ({}: {}); `create` must succeed",
                        rejection.reason, rejection.detail
                    ),
                );
                u64::MAX
            }
            Err(_) => u64::MAX,
        };
        drop(adapter);
        Box::new(self.instance(handle, generation, member.to_string()))
    }

    fn import(&self, state: &[u8]) -> Result<Box<dyn Implementation>, Rejection> {
        let mut adapter = self.lock();
        let handle = adapter.new_handle();
        let op = Op::Import {
            instance: handle,
            state: b64(state),
        };
        adapter.call("an imported state", op)?.result?;
        let generation = adapter.generation;
        drop(adapter);
        Ok(Box::new(self.instance(
            handle,
            generation,
            "an imported state".to_owned(),
        )))
    }

    fn transport(&self) -> Transport {
        self.transport
    }

    fn skipped_keys_max(&self) -> usize {
        self.skipped_keys_max
    }

    fn take_incidents(&self) -> Vec<Incident> {
        std::mem::take(&mut self.lock().incidents)
    }

    fn adapter_report(&self) -> Option<AdapterReport> {
        Some(self.lock().report.clone())
    }
}

/// One running adapter process.
struct Process {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<Line>,
    stderr: Arc<Mutex<VecDeque<u8>>>,
    /// Closed when the thread reading standard error has seen its end.
    stderr_done: Receiver<()>,
}

/// What the reading thread saw.
enum Line {
    Text(String),
    TooLong,
    NotUtf8,
    End,
}

/// The connection to the adapter, shared by the factory and its instances.
struct Adapter {
    words: Vec<String>,
    timeout: Duration,
    /// `None` after a failure, until the next request starts it again.
    process: Option<Process>,
    /// Counts the processes started; an instance remembers the one it lives in.
    generation: u64,
    next_id: u64,
    next_instance: u64,
    failed_starts: u64,
    incidents: Vec<Incident>,
    report: AdapterReport,
    export_sender_unsupported: bool,
}

impl Adapter {
    fn new_handle(&mut self) -> u64 {
        self.next_instance += 1;
        self.next_instance
    }

    /// Starts the process and completes `hello`.
    fn launch(&mut self) -> Result<Hello, String> {
        let (program, args) = self
            .words
            .split_first()
            .ok_or_else(|| "empty command line".to_owned())?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run `{program}`: {e}"))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("its standard streams could not be connected".to_owned());
        };
        let (sender, lines) = sync_channel(LINES_BUFFERED);
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut buf = Vec::new();
                let limit = u64::try_from(LINE_BYTES_MAX)
                    .unwrap_or(u64::MAX)
                    .saturating_add(1);
                let line = match (&mut reader).take(limit).read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => Line::End,
                    Ok(_) if buf.len() > LINE_BYTES_MAX => Line::TooLong,
                    Ok(_) => match String::from_utf8(buf) {
                        Ok(text) => Line::Text(text),
                        Err(_) => Line::NotUtf8,
                    },
                };
                let last = !matches!(line, Line::Text(_));
                if sender.send(line).is_err() || last {
                    return;
                }
            }
        });
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let tail_writer = Arc::clone(&tail);
        let (done, stderr_done) = sync_channel::<()>(0);
        std::thread::spawn(move || {
            let _done = done;
            let mut stderr = stderr;
            let mut chunk = [0u8; 1024];
            while let Ok(n) = stderr.read(&mut chunk) {
                if n == 0 {
                    return;
                }
                let mut tail = tail_writer.lock().unwrap_or_else(PoisonError::into_inner);
                tail.extend(chunk.iter().take(n));
                let excess = tail.len().saturating_sub(ADAPTER_STDERR_TAIL_BYTES);
                tail.drain(..excess);
            }
        });
        self.process = Some(Process {
            child,
            stdin,
            lines,
            stderr: tail,
            stderr_done,
        });
        self.generation += 1;
        self.hello().map_err(|e| {
            let (status, stderr) = self.stop();
            format!("{e}{status}{stderr}")
        })
    }

    /// The `hello` exchange on a fresh process.
    fn hello(&mut self) -> Result<Hello, String> {
        let answer = self
            .exchange(Op::Hello {
                protocol: PROTOCOL_VERSION,
            })
            .map_err(|failure| failure.detail)?;
        let hello: Hello = match answer.result {
            Ok(value) => serde_json::from_value(value)
                .map_err(|e| format!("its answer to `hello` is not a hello: {e}"))?,
            Err(rejected) => {
                return Err(format!(
                    "it refused `hello` ({}: {})",
                    rejected.reason, rejected.detail
                ));
            }
        };
        if hello.protocol != PROTOCOL_VERSION {
            return Err(format!(
                "it speaks protocol version {}, sksim speaks {PROTOCOL_VERSION}",
                hello.protocol
            ));
        }
        if hello.name.is_empty()
            || hello.name.len() > NAME_BYTES_MAX
            || hello.name.chars().any(char::is_control)
        {
            return Err(format!(
                "its name must be 1 to {NAME_BYTES_MAX} bytes without control characters, got {:?}",
                excerpt(&hello.name)
            ));
        }
        Ok(hello)
    }

    /// Stops the process, if any: closes its input, kills it and waits for it, then for the end of its standard
    /// error (at most the timeout: a child of the adapter may hold it open). Returns, for a message, how it
    /// ended and the last of its standard error (each empty or starting with a separator).
    fn stop(&mut self) -> (String, String) {
        let Some(process) = self.process.take() else {
            return (String::new(), String::new());
        };
        let Process {
            mut child,
            stdin,
            stderr,
            stderr_done,
            ..
        } = process;
        drop(stdin);
        let _ = child.kill();
        let status = child
            .wait()
            .map(|status| format!(" ({status})"))
            .unwrap_or_default();
        // determinism: waiting for the end of standard error only bounds how long a stuck child can delay us;
        // an adapter that exits has closed it, so the tail quoted is the whole of what it wrote last.
        let _ = stderr_done.recv_timeout(self.timeout);
        let tail: Vec<u8> = stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .copied()
            .collect();
        let text = String::from_utf8_lossy(&tail);
        let text = text.trim();
        let stderr = if text.is_empty() {
            String::new()
        } else {
            format!("; its standard error ends: {text}")
        };
        (status, stderr)
    }

    /// Sends one request and reads its answer, on the current process. `Err` is a failure already turned into a
    /// refusal; the incident is the caller's to record (see [`Adapter::call`]).
    fn exchange(&mut self, op: Op) -> Result<Answer, Failure> {
        let name = op.name();
        self.next_id += 1;
        let id = self.next_id;
        let request = Request { id, op };
        let Some(process) = self.process.as_mut() else {
            return Err(Failure::crashed(format!("`{name}`: the adapter is not running")));
        };
        self.report.requests += 1;
        let mut line = serde_json::to_string(&request)
            .map_err(|e| Failure::protocol(format!("`{name}` could not be encoded: {e}"), false))?;
        line.push('\n');
        if let Err(e) = process
            .stdin
            .write_all(line.as_bytes())
            .and_then(|()| process.stdin.flush())
        {
            return Err(Failure::crashed(format!(
                "writing request {id} (`{name}`) failed: {e}"
            )));
        }
        // determinism: the timeout only decides when a hung adapter is given up on; an adapter that answers
        // makes the same run whatever the clock says.
        let line = match process.lines.recv_timeout(self.timeout) {
            Ok(Line::Text(text)) => text,
            Ok(Line::End) | Err(RecvTimeoutError::Disconnected) => {
                return Err(Failure::crashed(format!(
                    "it closed its output instead of answering request {id} (`{name}`)"
                )));
            }
            Ok(Line::TooLong) => {
                return Err(Failure::protocol(
                    format!("its answer to request {id} (`{name}`) is longer than {LINE_BYTES_MAX} bytes"),
                    true,
                ));
            }
            Ok(Line::NotUtf8) => {
                return Err(Failure::protocol(
                    format!("its answer to request {id} (`{name}`) is not UTF-8"),
                    true,
                ));
            }
            Err(RecvTimeoutError::Timeout) => {
                return Err(Failure {
                    kind: IncidentKind::TimedOut,
                    detail: format!("no answer to request {id} (`{name}`) within {:?}", self.timeout),
                    restart: true,
                });
            }
        };
        parse_answer(&line, id, name)
    }

    /// One request on behalf of `member`: starts the process again first if an earlier failure stopped it (up
    /// to [`ADAPTER_RESTARTS_MAX`] times), and turns any failure into an incident and a refusal.
    fn call(&mut self, member: &str, op: Op) -> Result<Answer, Rejection> {
        let name = op.name();
        if self.process.is_none() {
            if self.report.restarts + self.failed_starts >= ADAPTER_RESTARTS_MAX {
                return Err(failure_rejection(format!(
                    "{member}, `{name}`: the adapter failed and sksim no longer starts it (at most \
                     {ADAPTER_RESTARTS_MAX} restarts per run)"
                )));
            }
            if let Err(e) = self.launch() {
                self.failed_starts += 1;
                let detail = format!("{member}, `{name}`: starting the adapter again failed: {e}");
                self.record(IncidentKind::Crashed, detail.clone());
                return Err(failure_rejection(detail));
            }
            self.report.restarts += 1;
        }
        match self.exchange(op) {
            Ok(answer) => Ok(answer),
            Err(failure) => {
                let mut detail = format!("{member}, `{name}`: {}", failure.detail);
                if failure.restart {
                    let (status, stderr) = self.stop();
                    let next = if self.report.restarts + self.failed_starts < ADAPTER_RESTARTS_MAX {
                        "the instances it held are gone; sksim starts it again when it next needs a new instance"
                    } else {
                        "sksim will not start it again"
                    };
                    detail.push_str(&format!("; the adapter was stopped{status}{stderr}; {next}"));
                }
                self.record(failure.kind, detail.clone());
                Err(failure_rejection(detail))
            }
        }
    }

    fn record(&mut self, kind: IncidentKind, detail: String) {
        match kind {
            IncidentKind::Crashed => self.report.crashes += 1,
            IncidentKind::TimedOut => self.report.timeouts += 1,
            IncidentKind::ProtocolError => self.report.protocol_errors += 1,
        }
        if self.report.incidents.len() < ADAPTER_INCIDENTS_KEPT {
            self.report.incidents.push(detail.clone());
        }
        self.incidents.push(Incident { kind, detail });
    }
}

impl Drop for Adapter {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Parses one line the adapter wrote in answer to request `id` (operation `name`). Untrusted input: never panics;
/// a line that breaks the protocol is a [`Failure`] saying how (and whether the two sides are out of step).
fn parse_answer(line: &str, id: u64, name: &str) -> Result<Answer, Failure> {
    let response: Response = serde_json::from_str(line.trim_end()).map_err(|e| {
        Failure::protocol(
            format!(
                "its answer to request {id} (`{name}`) is not a response object: {e}: {}",
                excerpt(line)
            ),
            true,
        )
    })?;
    if response.id != id {
        return Err(Failure::protocol(
            format!("it answered request {id} (`{name}`) with the id {}", response.id),
            true,
        ));
    }
    let chain_steps = response.chain_steps;
    match (response.ok, response.rejected, response.error) {
        (Some(value), None, None) => Ok(Answer {
            result: Ok(value),
            chain_steps,
        }),
        (None, Some(rejected), None) if protocol::valid_reason(&rejected.reason) => Ok(Answer {
            result: Err(Rejection {
                reason: rejected.reason,
                detail: rejected.detail,
            }),
            chain_steps,
        }),
        (None, Some(rejected), None) => Err(Failure::protocol(
            format!(
                "it refused request {id} (`{name}`) with the reason {:?}, which is not 1 to {} bytes of \
                 [a-z0-9-]",
                excerpt(&rejected.reason),
                crate::limits::REASON_BYTES_MAX
            ),
            false,
        )),
        (None, None, Some(error)) => Err(Failure::protocol(
            format!(
                "it reported an error for request {id} (`{name}`): {}",
                excerpt(&error)
            ),
            false,
        )),
        _ => Err(Failure::protocol(
            format!(
                "its answer to request {id} (`{name}`) must hold exactly one of `ok`, `rejected` and `error`"
            ),
            false,
        )),
    }
}

/// An answer that fits the protocol.
struct Answer {
    /// `ok`'s value, or the refusal.
    result: Result<serde_json::Value, Rejection>,
    chain_steps: Option<u64>,
}

/// Why an exchange failed.
struct Failure {
    kind: IncidentKind,
    detail: String,
    /// Whether the two sides are out of step, so the process must be stopped.
    restart: bool,
}

impl Failure {
    fn crashed(detail: String) -> Self {
        Failure {
            kind: IncidentKind::Crashed,
            detail,
            restart: true,
        }
    }

    fn protocol(detail: String, restart: bool) -> Self {
        Failure {
            kind: IncidentKind::ProtocolError,
            detail,
            restart,
        }
    }
}

fn failure_rejection(detail: String) -> Rejection {
    Rejection {
        reason: ADAPTER_FAILURE.to_owned(),
        detail,
    }
}

/// At most 200 characters of `text`, for messages.
fn excerpt(text: &str) -> String {
    const SHOWN: usize = 200;
    let text = text.trim_end();
    if text.chars().count() <= SHOWN {
        text.to_owned()
    } else {
        format!("{}...", text.chars().take(SHOWN).collect::<String>())
    }
}

/// One member's state, living in the adapter.
struct Instance {
    adapter: Arc<Mutex<Adapter>>,
    handle: u64,
    /// The process it lives in.
    generation: u64,
    /// Who it is, for messages.
    member: String,
    last_sent: Option<ChainPosition>,
    /// The skipped-key cache size for `from` that the last answer to `decrypt` reported, kept until the next
    /// request: the engine asks for exactly that right after a delivery. Any request may change any cache (an
    /// adapter's state is opaque), so every request forgets it.
    skipped: RefCell<Option<(String, usize)>>,
}

impl Instance {
    /// Sends `op` for this instance and parses the answer as `T`.
    fn call<T: serde::de::DeserializeOwned>(&self, op: Op) -> Result<T, Rejection> {
        self.counted(op, None)
    }

    /// [`Instance::call`], charging the chain steps the adapter reports to `budget`.
    fn counted<T: serde::de::DeserializeOwned>(
        &self,
        op: Op,
        budget: Option<&mut WorkBudget>,
    ) -> Result<T, Rejection> {
        self.skipped.replace(None);
        let name = op.name();
        let mut adapter = lock(&self.adapter);
        if adapter.generation != self.generation || adapter.process.is_none() {
            adapter.report.lost_instance_requests += 1;
            return Err(Rejection {
                reason: ADAPTER_STATE_LOST.to_owned(),
                detail: format!(
                    "{} lived in an adapter process that failed; its state is gone",
                    self.member
                ),
            });
        }
        let answer = adapter.call(&self.member, op)?;
        if let (Some(budget), Some(steps)) = (budget, answer.chain_steps) {
            // An exhausted budget is judged by the engine from the steps taken; the answer still counts.
            let _ = budget.take(steps);
        }
        let value = answer.result?;
        serde_json::from_value(value).map_err(|e| {
            let detail = format!(
                "{}, `{name}`: the answer does not fit the protocol: {e}",
                self.member
            );
            adapter.record(IncidentKind::ProtocolError, detail.clone());
            failure_rejection(detail)
        })
    }

    /// Decodes a base64 field of an answer; a bad one is a protocol error.
    fn bytes(&self, op: &'static str, field: &str, text: &str) -> Result<Vec<u8>, Rejection> {
        unb64(field, text).map_err(|e| {
            let detail = format!("{}, `{op}`: {e}", self.member);
            lock(&self.adapter).record(IncidentKind::ProtocolError, detail.clone());
            failure_rejection(detail)
        })
    }
}

/// [`RANDOM_BYTES`] from `rng`, in base64.
fn random(rng: &mut dyn CryptoRng) -> String {
    let mut bytes = [0u8; RANDOM_BYTES];
    rng.fill_bytes(&mut bytes);
    b64(&bytes)
}

impl Drop for Instance {
    fn drop(&mut self) {
        let mut adapter = lock(&self.adapter);
        if adapter.generation == self.generation && adapter.process.is_some() {
            let _ = adapter.call(
                &self.member,
                Op::Drop {
                    instance: self.handle,
                },
            );
        }
    }
}

impl Implementation for Instance {
    fn create_sender_key(&mut self, rng: &mut dyn CryptoRng) -> Result<Vec<u8>, Rejection> {
        self.create_sender_key_at(rng, 0)
    }

    fn create_sender_key_at(
        &mut self,
        rng: &mut dyn CryptoRng,
        iteration: u32,
    ) -> Result<Vec<u8>, Rejection> {
        let answer: DistributionAnswer = self.call(Op::Rotate {
            instance: self.handle,
            random: random(rng),
            iteration,
        })?;
        self.bytes("rotate", "distribution", &answer.distribution)
    }

    fn distribution(&self) -> Result<Vec<u8>, Rejection> {
        let answer: DistributionAnswer = self.call(Op::Distribution {
            instance: self.handle,
        })?;
        self.bytes("distribution", "distribution", &answer.distribution)
    }

    fn process_distribution(
        &mut self,
        from: &MemberId,
        bytes: &[u8],
        budget: &mut WorkBudget,
    ) -> Result<(), Rejection> {
        let _: Done = self.counted(
            Op::ProcessDistribution {
                instance: self.handle,
                from: from.to_string(),
                distribution: b64(bytes),
            },
            Some(budget),
        )?;
        Ok(())
    }

    fn encrypt(&mut self, rng: &mut dyn CryptoRng, plaintext: &[u8]) -> Result<Vec<u8>, Rejection> {
        let answer: Encrypted = self.call(Op::Encrypt {
            instance: self.handle,
            plaintext: b64(plaintext),
            random: random(rng),
        })?;
        let envelope = self.bytes("encrypt", "envelope", &answer.envelope)?;
        self.last_sent = answer.position;
        Ok(envelope)
    }

    fn decrypt(
        &mut self,
        from: &MemberId,
        envelope: &[u8],
        budget: &mut WorkBudget,
    ) -> Result<Accepted, Rejection> {
        let answer: protocol::Decrypted = self.counted(
            Op::Decrypt {
                instance: self.handle,
                from: from.to_string(),
                envelope: b64(envelope),
            },
            Some(budget),
        )?;
        let plaintext = self.bytes("decrypt", "plaintext", &answer.plaintext)?;
        let claimed_sender = MemberId::new(answer.sender.as_str()).map_err(|e| {
            let detail = format!(
                "{}, `decrypt`: the `sender` it shows is not a member id: {e}",
                self.member
            );
            lock(&self.adapter).record(IncidentKind::ProtocolError, detail.clone());
            failure_rejection(detail)
        })?;
        if let Some(n) = answer.skipped_keys {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            self.skipped.replace(Some((from.to_string(), n)));
        }
        Ok(Accepted {
            claimed_sender,
            plaintext,
        })
    }

    fn forget_sender(&mut self, member: &MemberId) {
        let _ = self.call::<Done>(Op::ForgetSender {
            instance: self.handle,
            member: member.to_string(),
        });
    }

    fn export(&self) -> Vec<u8> {
        self.call::<State>(Op::Export {
            instance: self.handle,
        })
        .and_then(|answer| self.bytes("export", "state", &answer.state))
        .unwrap_or_default()
    }

    fn export_sender(&self, sender: &MemberId) -> Vec<u8> {
        if lock(&self.adapter).export_sender_unsupported {
            return self.export();
        }
        match self.call::<State>(Op::ExportSender {
            instance: self.handle,
            member: sender.to_string(),
        }) {
            Ok(answer) => self
                .bytes("export_sender", "state", &answer.state)
                .unwrap_or_default(),
            Err(rejection) if rejection.reason == UNSUPPORTED => {
                lock(&self.adapter).export_sender_unsupported = true;
                self.export()
            }
            Err(_) => Vec::new(),
        }
    }

    fn skipped_keys(&self, sender: &MemberId) -> usize {
        if let Some((from, n)) = self.skipped.borrow().as_ref()
            && from == sender.as_str()
        {
            return *n;
        }
        self.call::<SkippedKeys>(Op::SkippedKeys {
            instance: self.handle,
            member: sender.to_string(),
        })
        .map_or(0, |answer| {
            usize::try_from(answer.skipped_keys).unwrap_or(usize::MAX)
        })
    }

    fn forwarded_distributions(&self) -> Vec<(MemberId, Vec<u8>)> {
        let Ok(answer) = self.call::<Forwarded>(Op::ForwardedDistributions {
            instance: self.handle,
        }) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for forwarded in answer.distributions {
            let member = MemberId::new(forwarded.member.as_str());
            let bytes = self.bytes("forwarded_distributions", "distribution", &forwarded.distribution);
            match (member, bytes) {
                (Ok(member), Ok(bytes)) => out.push((member, bytes)),
                (Err(e), _) => {
                    lock(&self.adapter).record(
                        IncidentKind::ProtocolError,
                        format!(
                            "{}, `forwarded_distributions`: `member` is not a member id: {e}",
                            self.member
                        ),
                    );
                }
                (_, Err(_)) => {}
            }
        }
        out
    }

    fn last_sent(&self) -> Option<ChainPosition> {
        self.last_sent.clone()
    }

    fn signing_key(&self) -> Option<Vec<u8>> {
        let answer = self
            .call::<SigningKey>(Op::SigningKey {
                instance: self.handle,
            })
            .ok()?;
        self.bytes("signing_key", "signing_key", &answer.signing_key?)
            .ok()
    }

    fn forge_as(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        self.forge_ahead_as(sender, signing_key, 1, rng, plaintext)
    }

    fn forge_ahead_as(
        &self,
        sender: &MemberId,
        signing_key: Option<&[u8]>,
        ahead: u32,
        rng: &mut dyn CryptoRng,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, Rejection> {
        let answer: Forged = self.call(Op::ForgeAs {
            instance: self.handle,
            sender: sender.to_string(),
            signing_key: signing_key.map(b64),
            plaintext: b64(plaintext),
            random: random(rng),
            ahead,
        })?;
        self.bytes("forge_as", "envelope", &answer.envelope)
    }
}

/// The fuzz target's view of the client's answer parser: whether `line`, as the answer to request `id`, fits
/// the protocol.
pub fn answer_fits(line: &str, id: u64) -> bool {
    parse_answer(line, id, "fuzz").is_ok()
}
