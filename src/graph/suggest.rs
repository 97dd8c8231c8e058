//! "Did you mean": the closest known name to a misspelt one.

/// The closest candidate by edit distance, if close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    // One slip in three characters; none in names of one or two, where any
    // one-letter name is one slip from any other (`y` is not a typo of `x`).
    let limit = name.chars().count() / 3;
    candidates
        .map(|candidate| (edit_distance(name, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, candidate)| candidate)
}

/// Edits (insertions, deletions, substitutions and swaps of two adjacent
/// characters: the optimal string alignment distance) that turn `a` into
/// `b`. A swap is one edit because it is one slip of the fingers: `rihgt`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 0..a.len() {
        let mut current = vec![i + 1];
        for j in 0..b.len() {
            let substitute = previous[j] + usize::from(a[i] != b[j]);
            let mut best = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
            if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                best = best.min(before[j - 1] + 1);
            }
            current.push(best);
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_a_swap_as_one_slip() {
        assert_eq!(edit_distance("rihgt", "right"), 1);
        assert_eq!(edit_distance("leter", "letter"), 1);
        assert_eq!(edit_distance("gorki", "gorki"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(
            did_you_mean("rihgt", ["troika", "right", "left"].into_iter()),
            Some("right")
        );
        assert_eq!(did_you_mean("zzz", ["troika"].into_iter()), None);
        assert_eq!(did_you_mean("y", ["x"].into_iter()), None);
        assert_eq!(did_you_mean("lef", ["left"].into_iter()), Some("left"));
    }
}
