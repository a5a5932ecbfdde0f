//! The adapter's side of the protocol, for sksim's own implementations: [`serve`] answers requests with the
//! instances of a built-in [`ImplementationFactory`]. The `sksim-adapter` binary runs it on its standard input
//! and output, which makes any built-in implementation an external one — the reference against which the
//! client, the protocol and other adapters are tested (`sim/tests/external.rs`).

use std::collections::BTreeMap;
use std::io::{self, BufRead, Read as _, Write};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng as _;
use senderkeys::{GroupId, MemberId, SharedMemo};

use super::protocol::{
    self, DistributionAnswer, Done, Encrypted, Forged, Forwarded, ForwardedDistribution, Hello, Op,
    PROTOCOL_VERSION, Rejected, Request, Response, SigningKey, SkippedKeys, State, b64, unb64,
};
use crate::implementation::{Implementation, ImplementationFactory, Rejection, WorkBudget};
use crate::limits::{LINE_BYTES_MAX, WORK_BUDGET_STEPS};

/// A deliberate misbehaviour at one request, for testing how sksim copes with a broken adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Exit with status 101 instead of answering, after a line on standard error.
    Crash,
    /// Never answer (sksim's timeout must stop the process).
    Hang,
    /// Answer with a line that is not JSON.
    Garbage,
    /// Answer with the wrong `id`.
    WrongId,
    /// Refuse with a reason that is not kebab-case.
    BadReason,
}

impl Fault {
    /// Parses `KIND@N` (`crash@12`): misbehave at request number `N`.
    ///
    /// # Errors
    ///
    /// When the text is not of that form.
    pub fn parse(text: &str) -> Result<(Fault, u64), String> {
        let usage = || {
            format!(
                "`{text}`: expected KIND@N with KIND one of crash, hang, garbage, wrong-id, bad-reason \
                 and N a request number, e.g. crash@12"
            )
        };
        let (kind, at) = text.split_once('@').ok_or_else(usage)?;
        let at: u64 = at.parse().map_err(|_| usage())?;
        let fault = match kind {
            "crash" => Fault::Crash,
            "hang" => Fault::Hang,
            "garbage" => Fault::Garbage,
            "wrong-id" => Fault::WrongId,
            "bad-reason" => Fault::BadReason,
            _ => return Err(usage()),
        };
        Ok((fault, at))
    }
}

/// What [`serve`] does besides answering.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    /// Misbehave at these request ids.
    pub faults: BTreeMap<u64, Fault>,
    /// Offer a memo of pure work to every instance (harness memory of this process; see `senderkeys::memo`).
    pub memo: bool,
}

/// Answers requests from `input` on `output` with instances of `factory`, until `input` ends.
///
/// # Errors
///
/// Only I/O errors on `output` end it early; a malformed request gets an `error` answer.
pub fn serve(
    factory: &dyn ImplementationFactory,
    input: impl BufRead,
    mut output: impl Write,
    options: &ServeOptions,
) -> io::Result<()> {
    let mut server = Server {
        factory,
        instances: BTreeMap::new(),
        memo: options.memo.then(senderkeys::Memo::shared),
    };
    let mut input = input;
    loop {
        let mut line = Vec::new();
        let limit = u64::try_from(LINE_BYTES_MAX)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        if (&mut input).take(limit).read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let request = match parse_request(&line) {
            Ok(request) => request,
            Err(error) => {
                let id = request_id(&line);
                write_line(
                    &mut output,
                    &Response {
                        id,
                        error: Some(error),
                        ..Response::default()
                    },
                )?;
                if line.len() > LINE_BYTES_MAX {
                    return Ok(());
                }
                continue;
            }
        };
        let id = request.id;
        let mut response = server.answer(request);
        match options.faults.get(&id) {
            None => write_line(&mut output, &response)?,
            Some(Fault::Crash) => {
                eprintln!("sksim-adapter: fault injected: crash at request {id}");
                std::process::exit(101);
            }
            Some(Fault::Hang) => {}
            Some(Fault::Garbage) => {
                output.write_all(b"this is not JSON\n")?;
                output.flush()?;
            }
            Some(Fault::WrongId) => {
                response.id = id.wrapping_add(1000);
                write_line(&mut output, &response)?;
            }
            Some(Fault::BadReason) => {
                response.ok = None;
                response.error = None;
                response.rejected = Some(Rejected {
                    reason: "Not Kebab Case".to_owned(),
                    detail: "fault injected".to_owned(),
                });
                write_line(&mut output, &response)?;
            }
        }
    }
}

/// One request line as a request. A line longer than the limit (its newline counted, as sksim counts an answer's)
/// is refused whole, even if its first bytes read as a request.
fn parse_request(line: &[u8]) -> Result<Request, String> {
    if line.len() > LINE_BYTES_MAX {
        return Err(format!("the request is longer than {LINE_BYTES_MAX} bytes"));
    }
    let text = std::str::from_utf8(line).map_err(|e| format!("the request is not UTF-8: {e}"))?;
    serde_json::from_str::<Request>(text.trim_end())
        .map_err(|e| format!("the request is not a request object: {e}"))
}

/// The `id` of a request that could not be parsed whole, if it has a readable one (else 0).
fn request_id(line: &[u8]) -> u64 {
    #[derive(serde::Deserialize)]
    struct JustId {
        id: u64,
    }
    serde_json::from_slice::<JustId>(line).map_or(0, |j| j.id)
}

fn write_line(output: &mut impl Write, response: &Response) -> io::Result<()> {
    let mut line = serde_json::to_vec(response).map_err(io::Error::other)?;
    line.push(b'\n');
    output.write_all(&line)?;
    output.flush()
}

struct Server<'a> {
    factory: &'a dyn ImplementationFactory,
    instances: BTreeMap<u64, Box<dyn Implementation>>,
    memo: Option<SharedMemo>,
}

/// How one request went: an answer, a refusal, or an error in the request.
enum Outcome {
    Ok(serde_json::Value),
    Rejected(Rejection),
    Error(String),
}

impl From<Rejection> for Outcome {
    fn from(rejection: Rejection) -> Self {
        Outcome::Rejected(rejection)
    }
}

/// An answer as `ok`.
fn ok(answer: impl serde::Serialize) -> Outcome {
    match serde_json::to_value(answer) {
        Ok(value) => Outcome::Ok(value),
        Err(e) => Outcome::Error(format!("the answer could not be encoded: {e}")),
    }
}

/// The seeded generator for an operation's `random` field.
fn rng(random: &str) -> Result<ChaCha20Rng, String> {
    let bytes = unb64("random", random)?;
    let seed: [u8; 32] = bytes
        .get(..32)
        .and_then(|seed| seed.try_into().ok())
        .ok_or_else(|| format!("`random` must hold at least 32 bytes, got {}", bytes.len()))?;
    Ok(ChaCha20Rng::from_seed(seed))
}

fn member(field: &str, text: &str) -> Result<MemberId, String> {
    MemberId::new(text).map_err(|e| format!("`{field}`: {e}"))
}

impl Server<'_> {
    fn answer(&mut self, request: Request) -> Response {
        let mut budget = WorkBudget::new(WORK_BUDGET_STEPS);
        let counted = matches!(request.op, Op::Decrypt { .. } | Op::ProcessDistribution { .. });
        let outcome = self
            .outcome(request.op, &mut budget)
            .unwrap_or_else(Outcome::Error);
        let mut response = Response {
            id: request.id,
            chain_steps: (counted && budget.steps() > 0).then(|| budget.steps()),
            ..Response::default()
        };
        match outcome {
            Outcome::Ok(value) => response.ok = Some(value),
            Outcome::Rejected(rejection) => {
                response.rejected = Some(Rejected {
                    reason: rejection.reason,
                    detail: rejection.detail,
                });
            }
            Outcome::Error(error) => response.error = Some(error),
        }
        response
    }

    fn instance(&mut self, handle: u64) -> Result<&mut Box<dyn Implementation>, String> {
        self.instances
            .get_mut(&handle)
            .ok_or_else(|| format!("no instance {handle} (never created, or dropped)"))
    }

    fn insert(&mut self, handle: u64, mut instance: Box<dyn Implementation>) -> Result<Outcome, String> {
        if self.instances.contains_key(&handle) {
            return Err(format!(
                "instance {handle} exists already; handles are never reused"
            ));
        }
        if let Some(memo) = &self.memo {
            instance.use_memo(memo);
        }
        self.instances.insert(handle, instance);
        Ok(ok(Done {}))
    }

    /// Answers one operation; `Err` for an error in the request (a bad field, an unknown instance).
    fn outcome(&mut self, op: Op, budget: &mut WorkBudget) -> Result<Outcome, String> {
        match op {
            Op::Hello { .. } => Ok(self.hello()),
            Op::Create {
                instance,
                group,
                member,
            } => self.create(instance, &group, &member),
            Op::Import { instance, state } => self.import(instance, &state),
            Op::Drop { instance } => self.drop_instance(instance),
            Op::Rotate {
                instance,
                random,
                iteration,
            } => self.rotate(instance, &random, iteration),
            Op::Distribution { instance } => Ok(distribution(self.instance(instance)?.distribution())),
            Op::ProcessDistribution {
                instance,
                from,
                distribution,
            } => self.process_distribution(instance, &from, &distribution, budget),
            Op::Encrypt {
                instance,
                plaintext,
                random,
            } => self.encrypt(instance, &plaintext, &random),
            Op::Decrypt {
                instance,
                from,
                envelope,
            } => self.decrypt(instance, &from, &envelope, budget),
            Op::ForgetSender { instance, member } => self.forget_sender(instance, &member),
            Op::Export { instance } => Ok(ok(State {
                state: b64(&self.instance(instance)?.export()),
            })),
            Op::ExportSender { instance, member } => self.export_sender(instance, &member),
            Op::SkippedKeys { instance, member } => self.skipped_keys(instance, &member),
            Op::ForwardedDistributions { instance } => self.forwarded_distributions(instance),
            Op::SigningKey { instance } => Ok(ok(SigningKey {
                signing_key: self.instance(instance)?.signing_key().map(|key| b64(&key)),
            })),
            Op::ForgeAs {
                instance,
                sender,
                signing_key,
                plaintext,
                random,
                ahead,
            } => {
                let forgery = (sender.as_str(), signing_key.as_deref(), ahead);
                self.forge_as(instance, forgery, &plaintext, &random)
            }
        }
    }

    /// `hello`: the protocol version and what the factory builds.
    fn hello(&self) -> Outcome {
        ok(Hello {
            protocol: PROTOCOL_VERSION,
            name: self.factory.name(),
            transport: self.factory.transport(),
            skipped_keys_max: u64::try_from(self.factory.skipped_keys_max()).unwrap_or(u64::MAX),
        })
    }

    /// `create`: a new instance for `id` in `group`, under the handle `instance`.
    fn create(&mut self, instance: u64, group: &str, id: &str) -> Result<Outcome, String> {
        let group = GroupId::new(group).map_err(|e| format!("`group`: {e}"))?;
        let id = member("member", id)?;
        let created = self.factory.create(&group, &id);
        self.insert(instance, created)
    }

    /// `import`: an instance from exported state, under the handle `instance`.
    fn import(&mut self, instance: u64, state: &str) -> Result<Outcome, String> {
        let state = unb64("state", state)?;
        match self.factory.import(&state) {
            Ok(imported) => self.insert(instance, imported),
            Err(rejection) => Ok(rejection.into()),
        }
    }

    /// `drop`: forgets an instance.
    fn drop_instance(&mut self, instance: u64) -> Result<Outcome, String> {
        self.instances
            .remove(&instance)
            .ok_or_else(|| format!("no instance {instance} to drop"))?;
        Ok(ok(Done {}))
    }

    /// `rotate`: a new sender key, answered with its distribution.
    fn rotate(&mut self, instance: u64, random: &str, iteration: u32) -> Result<Outcome, String> {
        let mut rng = rng(random)?;
        Ok(distribution(
            self.instance(instance)?.create_sender_key_at(&mut rng, iteration),
        ))
    }

    /// `process-distribution`: another member's distribution, received.
    fn process_distribution(
        &mut self,
        instance: u64,
        from: &str,
        distribution: &str,
        budget: &mut WorkBudget,
    ) -> Result<Outcome, String> {
        let from = member("from", from)?;
        let bytes = unb64("distribution", distribution)?;
        Ok(
            match self
                .instance(instance)?
                .process_distribution(&from, &bytes, budget)
            {
                Ok(()) => ok(Done {}),
                Err(rejection) => rejection.into(),
            },
        )
    }

    /// `encrypt`: an envelope of `plaintext`, and the chain position it was sent at.
    fn encrypt(&mut self, instance: u64, plaintext: &str, random: &str) -> Result<Outcome, String> {
        let plaintext = unb64("plaintext", plaintext)?;
        let mut rng = rng(random)?;
        let imp = self.instance(instance)?;
        Ok(match imp.encrypt(&mut rng, &plaintext) {
            Ok(envelope) => ok(Encrypted {
                envelope: b64(&envelope),
                position: imp.last_sent(),
            }),
            Err(rejection) => rejection.into(),
        })
    }

    /// `decrypt`: an envelope from `from`, opened, with the keys now skipped for that sender.
    fn decrypt(
        &mut self,
        instance: u64,
        from: &str,
        envelope: &str,
        budget: &mut WorkBudget,
    ) -> Result<Outcome, String> {
        let from = member("from", from)?;
        let envelope = unb64("envelope", envelope)?;
        let imp = self.instance(instance)?;
        Ok(match imp.decrypt(&from, &envelope, budget) {
            Ok(accepted) => ok(protocol::Decrypted {
                sender: accepted.claimed_sender.to_string(),
                plaintext: b64(&accepted.plaintext),
                skipped_keys: u64::try_from(imp.skipped_keys(&from)).ok(),
            }),
            Err(rejection) => rejection.into(),
        })
    }

    /// `forget-sender`: drops what the instance keeps of one sender.
    fn forget_sender(&mut self, instance: u64, id: &str) -> Result<Outcome, String> {
        let id = member("member", id)?;
        self.instance(instance)?.forget_sender(&id);
        Ok(ok(Done {}))
    }

    /// `export-sender`: the part of the state a message from one sender may change.
    fn export_sender(&mut self, instance: u64, id: &str) -> Result<Outcome, String> {
        let id = member("member", id)?;
        Ok(ok(State {
            state: b64(&self.instance(instance)?.export_sender(&id)),
        }))
    }

    /// `skipped-keys`: how many message keys the instance keeps for one sender.
    fn skipped_keys(&mut self, instance: u64, id: &str) -> Result<Outcome, String> {
        let id = member("member", id)?;
        let n = self.instance(instance)?.skipped_keys(&id);
        Ok(ok(SkippedKeys {
            skipped_keys: u64::try_from(n).unwrap_or(u64::MAX),
        }))
    }

    /// `forwarded-distributions`: the distributions the instance forwarded for others.
    fn forwarded_distributions(&mut self, instance: u64) -> Result<Outcome, String> {
        Ok(ok(Forwarded {
            distributions: self
                .instance(instance)?
                .forwarded_distributions()
                .into_iter()
                .map(|(member, bytes)| ForwardedDistribution {
                    member: member.to_string(),
                    distribution: b64(&bytes),
                })
                .collect(),
        }))
    }

    /// `forge-as`: the adversary's envelope in `sender`'s name, `ahead` past the next iteration less one, with a
    /// stolen signing key if one is given.
    fn forge_as(
        &mut self,
        instance: u64,
        (sender, signing_key, ahead): (&str, Option<&str>, u32),
        plaintext: &str,
        random: &str,
    ) -> Result<Outcome, String> {
        let sender = member("sender", sender)?;
        let signing_key = signing_key.map(|key| unb64("signing_key", key)).transpose()?;
        let plaintext = unb64("plaintext", plaintext)?;
        let mut rng = rng(random)?;
        Ok(
            match self.instance(instance)?.forge_ahead_as(
                &sender,
                signing_key.as_deref(),
                ahead,
                &mut rng,
                &plaintext,
            ) {
                Ok(envelope) => ok(Forged {
                    envelope: b64(&envelope),
                }),
                Err(rejection) => rejection.into(),
            },
        )
    }
}

/// A distribution as the answer `distribution`, or its refusal.
fn distribution(result: Result<Vec<u8>, Rejection>) -> Outcome {
    match result {
        Ok(bytes) => ok(DistributionAnswer {
            distribution: b64(&bytes),
        }),
        Err(rejection) => rejection.into(),
    }
}
