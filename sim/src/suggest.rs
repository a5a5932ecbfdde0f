//! "Did you mean": the valid name nearest to a misspelt one, for every error that names what was expected
//! (scenario keys and values, implementations, suites, policy components).
//!
//! Nearness is the Jaro–Winkler similarity (`strsim`), case-insensitive; a name is suggested only when it is
//! similar enough ([`SIMILARITY_MIN`]), and the most similar wins (the first listed, on a tie).

use crate::limits::SUGGESTION_CHARS_MAX;

/// Smallest Jaro–Winkler similarity at which an unknown name gets a "did you mean" suggestion.
pub const SIMILARITY_MIN: f64 = 0.8;

/// The candidate nearest to `given` (compared in lower case), if it is close enough.
#[must_use]
pub fn nearest<'c>(given: &str, candidates: &[&'c str]) -> Option<&'c str> {
    if given.chars().count() > SUGGESTION_CHARS_MAX {
        return None;
    }
    let given = given.to_lowercase();
    let mut best: Option<(f64, &'c str)> = None;
    for &candidate in candidates {
        let score = strsim::jaro_winkler(&given, candidate);
        if score >= SIMILARITY_MIN && best.is_none_or(|(top, _)| score > top) {
            best = Some((score, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_close_name_is_suggested() {
        let names = ["remove", "rotate", "join"];
        assert_eq!(nearest("remvoe", &names), Some("remove"));
        assert_eq!(nearest("ROTATE", &names), Some("rotate"));
        assert_eq!(nearest("banana", &names), None);
        assert_eq!(nearest("", &names), None);
        assert_eq!(nearest("remove", &[]), None);
    }

    #[test]
    fn text_over_the_length_limit_gets_no_suggestion() {
        let long = "a".repeat(SUGGESTION_CHARS_MAX);
        let names = [long.as_str()];
        assert_eq!(nearest(&long, &names), Some(long.as_str()));
        assert_eq!(nearest(&format!("{long}a"), &names), None);
    }

    #[test]
    fn ties_go_to_the_first_listed() {
        assert_eq!(nearest("ab", &["abc", "abd"]), Some("abc"));
    }
}
