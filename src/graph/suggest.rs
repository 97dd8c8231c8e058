//! "Did you mean": the closest known name to a misspelt one.

/// The closest candidate by edit distance, if close enough to be a likely typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    // One slip in three characters; none in names of one or two, where any
    // one-letter name is one slip from any other (`y` is not a typo of `x`).
    let name: Vec<char> = name.chars().collect();
    let limit = name.len() / 3;
    let mut rows = Rows::default();
    let mut other = Vec::new();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        other.clear();
        other.extend(candidate.chars());
        if let Some(distance) = rows.distance_within(&name, &other, limit)
            && best.is_none_or(|found| (distance, candidate) < found)
        {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Edits (insertions, deletions, substitutions and swaps of two adjacent
/// characters: the optimal string alignment distance) that turn `a` into
/// `b`. A swap is one edit because it is one slip of the fingers: `rihgt`.
#[cfg(test)]
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    Rows::default()
        .distance_within(&a, &b, usize::MAX)
        .unwrap_or(usize::MAX)
}

/// The three rows of the distance table, kept between candidates so that
/// comparing thousands of names allocates nothing per name.
#[derive(Default)]
struct Rows {
    before: Vec<usize>,
    previous: Vec<usize>,
    current: Vec<usize>,
}

impl Rows {
    /// The edit distance from `a` to `b` when it is at most `limit`; `None`
    /// as soon as it is certain to be more (the lengths differ by more, or
    /// a whole row of the table is past it).
    fn distance_within(&mut self, a: &[char], b: &[char], limit: usize) -> Option<usize> {
        if a.len().abs_diff(b.len()) > limit {
            return None;
        }
        let Rows {
            before,
            previous,
            current,
        } = self;
        previous.clear();
        previous.extend(0..=b.len());
        before.clear();
        for i in 0..a.len() {
            current.clear();
            current.push(i + 1);
            let mut row_best = i + 1;
            for j in 0..b.len() {
                let substitute = previous[j] + usize::from(a[i] != b[j]);
                let mut best = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
                if i > 0 && j > 0 && a[i] == b[j - 1] && a[i - 1] == b[j] {
                    best = best.min(before[j - 1] + 1);
                }
                row_best = row_best.min(best);
                current.push(best);
            }
            // A swap reaches back two rows, so stop only when both the
            // last two rows are past the limit.
            let previous_best = previous.iter().copied().min().unwrap_or(0);
            if row_best > limit && previous_best > limit {
                return None;
            }
            std::mem::swap(before, previous);
            std::mem::swap(previous, current);
        }
        let distance = previous[b.len()];
        (distance <= limit).then_some(distance)
    }
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
        // Cut short past the limit, but never wrongly: a swap near the end
        // of a long name, a name one edit too far, the closest of several.
        assert_eq!(
            did_you_mean("apparatsu", ["apparatus"].into_iter()),
            Some("apparatus")
        );
        assert_eq!(did_you_mean("abcdef", ["abxyzf"].into_iter()), None);
        assert_eq!(
            did_you_mean(
                "secretary",
                ["secretariat", "secretray", "secretar"].into_iter()
            ),
            Some("secretar")
        );
    }
}
