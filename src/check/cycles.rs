//! Strongly connected components of the divert graph: the scenes that
//! can lead back to one another, which the loop and fallback passes ask
//! about.

/// The strongly connected components of the graph over the scenes marked
/// in `within`, each sorted, in order of their first scene (Kosaraju's
/// algorithm, without recursion: a story may have thousands of scenes).
pub(super) fn components(
    within: &[bool],
    successors: impl Fn(usize) -> Vec<usize>,
) -> Vec<Vec<usize>> {
    let count = within.len();
    let mut forward: Vec<Vec<usize>> = vec![Vec::new(); count];
    let mut backward: Vec<Vec<usize>> = vec![Vec::new(); count];
    for from in (0..count).filter(|&index| within[index]) {
        for to in successors(from) {
            if within[to] {
                forward[from].push(to);
                backward[to].push(from);
            }
        }
    }
    // First pass: scenes in order of finishing.
    let mut visited = vec![false; count];
    let mut finished = Vec::new();
    for root in (0..count).filter(|&index| within[index]) {
        if visited[root] {
            continue;
        }
        visited[root] = true;
        let mut stack = vec![(root, 0usize)];
        while let Some((node, next)) = stack.last_mut() {
            if let Some(&to) = forward[*node].get(*next) {
                *next += 1;
                if !visited[to] {
                    visited[to] = true;
                    stack.push((to, 0));
                }
            } else {
                finished.push(*node);
                stack.pop();
            }
        }
    }
    // Second pass, on the reversed graph, latest finished first.
    let mut component_of = vec![usize::MAX; count];
    let mut found: Vec<Vec<usize>> = Vec::new();
    for &root in finished.iter().rev() {
        if component_of[root] != usize::MAX {
            continue;
        }
        let id = found.len();
        component_of[root] = id;
        let mut members = vec![root];
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            for &from in &backward[node] {
                if component_of[from] == usize::MAX {
                    component_of[from] = id;
                    members.push(from);
                    stack.push(from);
                }
            }
        }
        members.sort_unstable();
        found.push(members);
    }
    found.sort_unstable_by_key(|members| members[0]);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_the_cycles_and_the_scenes_between_them() {
        // 0 → 1 → 2 → 1, 3 → 3, 4 → 0; 5 is left out.
        let edges: [&[usize]; 6] = [&[1], &[2], &[1], &[3], &[0], &[0]];
        let within = [true, true, true, true, true, false];
        let found = components(&within, |index| edges[index].to_vec());
        assert_eq!(found, vec![vec![0], vec![1, 2], vec![3], vec![4]]);
    }
}
