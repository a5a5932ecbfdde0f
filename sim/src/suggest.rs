//! "Did you mean": the valid name nearest to a misspelt one, for every error that names what was expected
//! (scenario keys and values, implementations, suites, policy components).
//!
//! Nearness is the Jaro–Winkler similarity (`strsim`), case-insensitive; a name is suggested only when it is
//! similar enough ([`SIMILARITY_MIN`]), and the most similar wins (the first listed, on a tie).

/// Smallest Jaro–Winkler similarity at which an unknown name gets a "did you mean" suggestion.
pub const SIMILARITY_MIN: f64 = 0.8;

/// Given text longer than this many characters gets no suggestion (and costs no comparison).
pub const SUGGESTION_CHARS_MAX: usize = 64;

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
    fn ties_go_to_the_first_listed() {
        assert_eq!(nearest("ab", &["abc", "abd"]), Some("abc"));
    }
}
