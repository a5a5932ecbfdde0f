//! The implementation a scenario runs: [`ImplementationSpec`], the names `implementation` and `--impl` accept,
//! and the factory that builds it.

use core::fmt;

use senderkeys::SuiteId;

use super::parse::echo;
use crate::external::ExternalFactory;
use crate::implementation::ImplementationFactory;
use crate::implementations::registry::{self, BuiltIn};
use crate::implementations::zoo::{Bug, Zoo};
use crate::implementations::{accord, chatalot, p2p, reference};
use crate::suggest::nearest as suggest;

/// Implementation names, as `implementation` accepts them before any `/` or `:`.
/// Every implementation name `parse` knows: the built-ins', and `external`.
const IMPLEMENTATION_NAMES: [&str; 6] = [
    registry::BUILT_INS[0].name,
    registry::BUILT_INS[1].name,
    registry::BUILT_INS[2].name,
    registry::BUILT_INS[3].name,
    registry::ZOO.name,
    "external",
];

/// The implementation a scenario runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImplementationSpec {
    /// The `senderkeys` reference implementation with a suite.
    Reference(SuiteId),
    /// The model of Accord's design.
    Accord,
    /// The model of Chatalot's design.
    Chatalot,
    /// The model of the peer-to-peer sketch.
    P2p,
    /// The zoo base (`zoo`), or the base with one planted bug (`zoo/<bug>`).
    Zoo(Option<Bug>),
    /// An external adapter, started with this command line (see [`crate::external`]).
    External(String),
}

impl ImplementationSpec {
    /// The built-in implementation this names (`None` for an external one).
    pub fn built_in(&self) -> Option<&'static BuiltIn> {
        match self {
            ImplementationSpec::Reference(_) => Some(&registry::REFERENCE),
            ImplementationSpec::Accord => Some(&registry::ACCORD),
            ImplementationSpec::Chatalot => Some(&registry::CHATALOT),
            ImplementationSpec::P2p => Some(&registry::P2P),
            ImplementationSpec::Zoo(_) => Some(&registry::ZOO),
            ImplementationSpec::External(_) => None,
        }
    }

    /// The suite it speaks, as reports name it (`external` for an external implementation).
    pub fn suite_name(&self) -> &'static str {
        match (self, self.built_in()) {
            (ImplementationSpec::Reference(suite), _) => suite.name(),
            (
                _,
                Some(BuiltIn {
                    suite: Some(suite), ..
                }),
            ) => suite.name(),
            _ => "external",
        }
    }

    /// Whether it signs every message (so a stolen signing key forges, and an insider's own key does not). An
    /// external implementation is assumed to sign, which allows the least for insiders.
    pub fn signs(&self) -> bool {
        match (self, self.built_in()) {
            (ImplementationSpec::Reference(suite), Some(built_in)) => built_in.signs_with(*suite),
            (_, Some(built_in)) => built_in.suite.is_some_and(|suite| built_in.signs_with(suite)),
            (_, None) => true,
        }
    }

    /// Parses an implementation name: `reference` (suite `hardened`), `reference/<suite>` (the form reports
    /// use), `accord`, `chatalot`, `p2p`, `zoo`, `zoo/<bug>` or `external:<command line>`.
    ///
    /// # Errors
    ///
    /// A message saying what is wrong, with the nearest valid name for a misspelt one.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(command) = text.strip_prefix("external:") {
            if command.trim().is_empty() {
                return Err(
                    "`external:` needs a command line after the colon (e.g. `external:./my-adapter`)"
                        .to_owned(),
                );
            }
            return Ok(ImplementationSpec::External(command.to_owned()));
        }
        let (head, suite) = match text.split_once('/') {
            Some((head, suite)) => (head, Some(suite)),
            None => (text, None),
        };
        match (head, suite) {
            ("reference", None) => Ok(ImplementationSpec::Reference(SuiteId::Hardened)),
            ("reference", Some(suite)) => parse_suite(suite).map(ImplementationSpec::Reference),
            ("accord", None) => Ok(ImplementationSpec::Accord),
            ("chatalot", None) => Ok(ImplementationSpec::Chatalot),
            ("p2p", None) => Ok(ImplementationSpec::P2p),
            ("zoo", None) => Ok(ImplementationSpec::Zoo(None)),
            ("zoo", Some(name)) => parse_bug(name).map(|bug| ImplementationSpec::Zoo(Some(bug))),
            ("accord" | "chatalot" | "p2p", Some(_)) => Err(format!(
                "`{head}` takes no suite (only `reference` does); write `{head}`"
            )),
            _ => {
                let expected = "expected reference, reference/<suite>, accord, chatalot, p2p, zoo, zoo/<bug> or \
                                external:<command line>";
                let suites = SuiteId::ALL.map(SuiteId::name);
                // A suite where an implementation belongs: the reference speaks it.
                let suite_near = suite.is_none().then(|| suggest(head, &suites)).flatten();
                let lowered = head.to_lowercase();
                if IMPLEMENTATION_NAMES.contains(&lowered.as_str()) && lowered != "external" {
                    return Err(format!(
                        "unknown implementation `{}`; did you mean `{lowered}`? (names are lower case; {expected})",
                        echo(text)
                    ));
                }
                if let Some(near) = suite_near.filter(|_| suites.contains(&lowered.as_str())) {
                    return Err(format!(
                        "unknown implementation `{}`; `{near}` is a suite: did you mean `reference/{near}` (the \
                         reference implementation speaking it)? ({expected})",
                        echo(text)
                    ));
                }
                Err(match suggest(head, &IMPLEMENTATION_NAMES) {
                    Some("external") => format!(
                        "unknown implementation `{}`; did you mean `external:<command line>`? ({expected})",
                        echo(text)
                    ),
                    Some(near) => format!(
                        "unknown implementation `{}`; did you mean `{near}`? ({expected})",
                        echo(text)
                    ),
                    None => match suite_near {
                        Some(near) => format!(
                            "unknown implementation `{}`; did you mean `reference/{near}`? ({expected})",
                            echo(text)
                        ),
                        None => format!("unknown implementation `{}`; {expected}", echo(text)),
                    },
                })
            }
        }
    }

    /// The factory that creates this implementation's instances; an external one starts its adapter, waiting up
    /// to [`crate::external::ADAPTER_TIMEOUT_DEFAULT`] for each answer.
    ///
    /// # Errors
    ///
    /// When an external adapter cannot be started (see [`ExternalFactory::start`]).
    pub fn factory(&self) -> Result<Box<dyn ImplementationFactory + Send + Sync>, String> {
        self.factory_with(crate::external::ADAPTER_TIMEOUT_DEFAULT)
    }

    /// [`ImplementationSpec::factory`], waiting up to `adapter_timeout` for each answer of an external adapter.
    ///
    /// # Errors
    ///
    /// When an external adapter cannot be started (see [`ExternalFactory::start`]).
    pub fn factory_with(
        &self,
        adapter_timeout: std::time::Duration,
    ) -> Result<Box<dyn ImplementationFactory + Send + Sync>, String> {
        match self {
            ImplementationSpec::Reference(suite) => Ok(Box::new(reference::Reference { suite: *suite })),
            ImplementationSpec::Accord => Ok(Box::new(accord::Accord)),
            ImplementationSpec::Chatalot => Ok(Box::new(chatalot::Chatalot)),
            ImplementationSpec::P2p => Ok(Box::new(p2p::P2p)),
            ImplementationSpec::Zoo(bug) => Ok(Box::new(Zoo { bug: *bug })),
            ImplementationSpec::External(command) => {
                Ok(Box::new(ExternalFactory::start(command, adapter_timeout)?))
            }
        }
    }
}

impl fmt::Display for ImplementationSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImplementationSpec::Reference(suite) => write!(f, "reference/{suite}"),
            ImplementationSpec::Accord => f.write_str("accord"),
            ImplementationSpec::Chatalot => f.write_str("chatalot"),
            ImplementationSpec::P2p => f.write_str("p2p"),
            ImplementationSpec::Zoo(None) => f.write_str("zoo"),
            ImplementationSpec::Zoo(Some(bug)) => write!(f, "zoo/{bug}"),
            ImplementationSpec::External(command) => write!(f, "external:{command}"),
        }
    }
}

/// Parses a zoo bug's name (`zoo/<bug>`, `sksim zoo --bug`), suggesting the nearest for a misspelt one.
///
/// # Errors
///
/// A message naming the nearest bug, if one is near.
pub fn parse_bug(text: &str) -> Result<Bug, String> {
    if let Some(bug) = Bug::named(text) {
        return Ok(bug);
    }
    let names = Bug::ALL.map(Bug::name);
    let expected = "`sksim list` shows the zoo's bugs";
    Err(match suggest(text, &names) {
        Some(near) => format!(
            "unknown zoo bug `{}`; did you mean `{near}`? ({expected})",
            echo(text)
        ),
        None => format!("unknown zoo bug `{}`; {expected}", echo(text)),
    })
}

/// Parses a suite name, suggesting the nearest for a misspelt one.
pub(super) fn parse_suite(text: &str) -> Result<SuiteId, String> {
    if let Some(suite) = SuiteId::ALL.into_iter().find(|suite| suite.name() == text) {
        return Ok(suite);
    }
    let names = SuiteId::ALL.map(SuiteId::name);
    let expected = "expected accord, chatalot, p2p, signal or hardened";
    Err(match suggest(text, &names) {
        Some(near) => format!(
            "unknown suite `{}`; did you mean `{near}`? ({expected})",
            echo(text)
        ),
        None => format!("unknown suite `{}`; {expected}", echo(text)),
    })
}
