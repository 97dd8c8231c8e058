//! The story map: the narrative graph drawn as Graphviz `dot` or Mermaid.
//!
//! Scenes are nodes labelled with their titles and tags; endings are drawn
//! distinctly; scenes no divert chain from the start reaches are marked.
//! Each choice is an edge labelled with its (shortened) text and guard,
//! from its scene to every scene its body can divert to; diverts outside
//! any choice are unlabelled edges. A tunnel call is an edge drawn with a
//! hollow (dot) or thick (Mermaid) arrow and labelled `calls`: the story
//! comes back from it.

use std::fmt::Write as _;

use crate::graph::{Op, Part, SceneId, Story};

/// An edge of the map.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MapEdge {
    /// The scene the edge leaves.
    pub from: SceneId,
    /// The scene it enters.
    pub to: SceneId,
    /// The choice's text and guard, or empty for a plain divert.
    pub label: String,
    /// Whether the edge is a choice guarded by a condition.
    pub guarded: bool,
    /// Whether the edge is a tunnel call (`-> scene ->`), which returns.
    pub call: bool,
}

/// Stories with at least this many scenes have their map's edges found
/// and its `dot` text written on two threads, each taking half of the
/// scenes; the halves are joined in order, so the map is the same.
const PARALLEL_SCENES: usize = 20_000;

/// Every edge of the map, deduplicated and in a stable order.
pub fn edges(story: &Story) -> Vec<MapEdge> {
    edges_split(story, PARALLEL_SCENES)
}

/// [`edges`], on two threads from `parallel_scenes` scenes.
fn edges_split(story: &Story, parallel_scenes: usize) -> Vec<MapEdge> {
    let count = story.scenes.len();
    if count < parallel_scenes {
        return edges_from(story, 0..count);
    }
    // Edges are ordered by the scene they leave first, so the two halves'
    // lists, each sorted, are the whole list sorted when joined.
    let half = count / 2;
    let (mut first, mut second) = crate::parallel::both(
        || edges_from(story, 0..half),
        || edges_from(story, half..count),
    );
    first.append(&mut second);
    first
}

/// The edges leaving the scenes `scenes`, deduplicated and sorted.
fn edges_from(story: &Story, scenes: std::ops::Range<usize>) -> Vec<MapEdge> {
    // Sorted and deduplicated once at the end: the order a `BTreeSet`
    // would give, without a million tree insertions.
    let mut edges = Vec::with_capacity(scenes.len());
    let mut in_choice = Vec::new();
    let mut walk = Walk::new(0);
    for (index, scene) in story.scenes[scenes.clone()].iter().enumerate() {
        let index = scenes.start + index;
        let from = SceneId(index as u32);
        in_choice.clear();
        in_choice.resize(scene.ops.len(), false);
        walk.reset(scene.ops.len());
        for op in &scene.ops {
            let Op::Choices { choices, .. } = op else {
                continue;
            };
            for choice in choices {
                let (label, guarded) = choice_label(story, choice);
                for (pc, to) in walk.diverts_from(&scene.ops, choice.target as usize) {
                    in_choice[pc] = true;
                    let call = matches!(scene.ops[pc], Op::Call { .. });
                    edges.push(MapEdge {
                        from,
                        to,
                        label: if call {
                            format!("{label} (calls)")
                        } else {
                            label.clone()
                        },
                        guarded,
                        call,
                    });
                }
            }
        }
        for (pc, op) in scene.ops.iter().enumerate() {
            if let Op::Divert { target, .. } | Op::Call { target, .. } = op
                && !in_choice[pc]
            {
                let call = matches!(op, Op::Call { .. });
                edges.push(MapEdge {
                    from,
                    to: *target,
                    label: if call { "calls".into() } else { String::new() },
                    guarded: false,
                    call,
                });
            }
        }
    }
    edges.sort();
    edges.dedup();
    edges
}

/// A walk over one scene's program, reused for each of its choices: the
/// marks of one walk are cleared by the next in time proportional to what
/// it visited, not to the scene's length (a scene of 10,000 choices would
/// otherwise be quadratic).
struct Walk {
    seen: Vec<bool>,
    visited: Vec<usize>,
    stack: Vec<usize>,
}

impl Walk {
    fn new(ops: usize) -> Walk {
        Walk {
            seen: vec![false; ops],
            visited: Vec::new(),
            stack: Vec::new(),
        }
    }

    /// Ready for a scene of `ops` operations, keeping the buffers.
    fn reset(&mut self, ops: usize) {
        self.seen.clear();
        self.seen.resize(ops, false);
        self.visited.clear();
    }

    /// The diverts reachable from `start` inside the scene's program
    /// without passing another choice point: following jumps and both sides
    /// of every condition, and on past a tunnel call (which returns).
    /// Returns each divert's and call's position and target.
    fn diverts_from(&mut self, ops: &[Op], start: usize) -> Vec<(usize, SceneId)> {
        for pc in self.visited.drain(..) {
            self.seen[pc] = false;
        }
        self.stack.clear();
        self.stack.push(start);
        let mut found = Vec::new();
        while let Some(pc) = self.stack.pop() {
            if pc >= ops.len() || self.seen[pc] {
                continue;
            }
            self.seen[pc] = true;
            self.visited.push(pc);
            match &ops[pc] {
                Op::Divert { target, .. } => found.push((pc, *target)),
                Op::Call { target, .. } => {
                    found.push((pc, *target));
                    self.stack.push(pc + 1);
                }
                Op::Jump { target } => self.stack.push(*target as usize),
                Op::JumpUnless { target, .. } => {
                    self.stack.push(*target as usize);
                    self.stack.push(pc + 1);
                }
                Op::Choices { .. } | Op::End { .. } | Op::Return { .. } => {}
                Op::Text { .. } | Op::Assign { .. } | Op::SetLocal { .. } | Op::Assert { .. } => {
                    self.stack.push(pc + 1)
                }
            }
        }
        found
    }
}

fn choice_label(story: &Story, choice: &crate::graph::Choice) -> (String, bool) {
    let mut text = match &choice.text {
        Some(parts) => shorten(&plain(story, parts), 32),
        None => "(fallback)".to_string(),
    };
    if let Some(label) = story.label(choice) {
        // Named as `taken()` names it.
        text = format!("({label}) {text}");
    }
    let conditions: Vec<String> = choice
        .guard
        .conditions()
        .map(|condition| shorten(&source_of(story, condition.span), 32))
        .collect();
    let guarded = !conditions.is_empty();
    if guarded {
        let _ = write!(text, " [{}]", conditions.join("; "));
    }
    (text, guarded)
}

/// A text's parts as a reader of the source would recognise them.
fn plain(story: &Story, parts: &[Part]) -> String {
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Literal(text) => out.push_str(story.text(*text)),
            Part::Value(expr) => {
                let _ = write!(out, "{{{}}}", source_of(story, expr.span));
            }
            Part::Conditional(conditional) => out.push_str(&plain(story, &conditional.then)),
            Part::Alternatives(alternatives) => {
                if let Some(first) = alternatives.options.first() {
                    out.push_str(&plain(story, first));
                }
            }
        }
    }
    out
}

fn source_of(story: &Story, span: crate::diagnostic::Span) -> String {
    if span.file.0 as usize >= story.sources.len() {
        return "…".into();
    }
    let text = &story.sources.get(span.file).text;
    text.get(span.range()).unwrap_or("…").trim().to_string()
}

fn shorten(text: &str, limit: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut short: String = text.chars().take(limit - 1).collect();
    short.push('…');
    short
}

/// Which scenes a chain of diverts from the start reaches. Linear in scenes
/// and edges: the edges are first grouped by the scene they leave (issue
/// #10: filtering every edge for each scene made a 100,000-scene chain
/// take 13 s).
pub fn reachable(story: &Story, edges: &[MapEdge]) -> Vec<bool> {
    let count = story.scenes.len();
    // `targets[first[s]..first[s + 1]]`: where scene `s`'s edges lead.
    let mut first = vec![0usize; count + 1];
    for edge in edges.iter().filter(|edge| edge.from.index() < count) {
        first[edge.from.index() + 1] += 1;
    }
    for index in 0..count {
        first[index + 1] += first[index];
    }
    let mut next = first.clone();
    let mut targets = vec![SceneId(0); first[count]];
    for edge in edges.iter().filter(|edge| edge.from.index() < count) {
        targets[next[edge.from.index()]] = edge.to;
        next[edge.from.index()] += 1;
    }
    // A page is opened by the player from anywhere, never diverted to: it
    // is not drawn as unreachable.
    let mut reached: Vec<bool> = story.scenes.iter().map(|scene| scene.is_page).collect();
    reached.resize(count, false);
    let mut stack = vec![story.start];
    while let Some(scene) = stack.pop() {
        let Some(seen) = reached.get_mut(scene.index()) else {
            continue;
        };
        if std::mem::replace(seen, true) {
            continue;
        }
        stack.extend_from_slice(&targets[first[scene.index()]..first[scene.index() + 1]]);
    }
    reached
}

/// A scene's node: its title and name, and a line of its tags as written
/// (`# year: 1922`), shortened.
fn node_label(story: &Story, id: SceneId) -> std::borrow::Cow<'_, str> {
    let scene = story.scene(id);
    if scene.title.is_none() && scene.tags.is_empty() {
        return std::borrow::Cow::Borrowed(&scene.name);
    }
    let mut label = match &scene.title {
        Some(title) => format!("{}\n{}", title, scene.name),
        None => scene.name.clone(),
    };
    if !scene.tags.is_empty() {
        let tags: Vec<String> = scene
            .tags
            .iter()
            .map(|tag| match &tag.value {
                Some(value) => format!("# {}: {value}", tag.key),
                None => format!("# {}", tag.key),
            })
            .collect();
        label.push('\n');
        label.push_str(&shorten(&tags.join("  "), 60));
    }
    std::borrow::Cow::Owned(label)
}

/// Appends `text` to `out` as a `dot` string: quoted, with backslashes,
/// quotes and line breaks escaped, and control characters made visible.
fn push_dot_quoted(out: &mut String, text: &str) {
    out.push('"');
    // Most names and labels are printable ASCII with nothing to escape.
    if text
        .bytes()
        .all(|byte| matches!(byte, b' '..=b'~') && byte != b'\\' && byte != b'"')
    {
        out.push_str(text);
        out.push('"');
        return;
    }
    let text = crate::render::terminal_safe(text);
    if !text.contains(['\\', '"', '\n']) {
        out.push_str(&text);
    } else {
        for c in text.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

/// Graphviz `dot`. Written straight into one buffer: a million-scene map
/// is a million nodes and edges, so no line allocates strings of its own.
/// A big story's nodes and edges are written in halves on two threads.
pub fn dot(story: &Story) -> String {
    dot_split(story, PARALLEL_SCENES)
}

/// [`dot`], on two threads from `parallel_scenes` scenes.
fn dot_split(story: &Story, parallel_scenes: usize) -> String {
    let edges = edges_split(story, parallel_scenes);
    let reached = reachable(story, &edges);
    let mut out = String::with_capacity(64 * (story.scenes.len() + edges.len()) + 256);
    out.push_str("digraph story {\n    label=");
    push_dot_quoted(&mut out, &story.title);
    out.push_str(";\n    rankdir=LR;\n");
    out.push_str("    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
    out.push_str("    edge [fontname=\"Helvetica\", fontsize=10];\n");
    let count = story.scenes.len();
    if count < parallel_scenes {
        dot_nodes(story, &reached, 0..count, &mut out);
        dot_edges(story, &edges, &mut out);
    } else {
        let half = count / 2;
        let (early_edges, late_edges) = edges.split_at(edges.len() / 2);
        let reached = &reached;
        // This thread writes the first half of the nodes straight into
        // the map, the other the second half; then the same for the edges.
        let (early_edges, (late_nodes, late_edges)) = crate::parallel::both(
            || {
                dot_nodes(story, reached, 0..half, &mut out);
                let mut edges = String::with_capacity(64 * early_edges.len());
                dot_edges(story, early_edges, &mut edges);
                edges
            },
            || {
                let mut nodes = String::with_capacity(64 * (count - half));
                dot_nodes(story, reached, half..count, &mut nodes);
                let mut edges = String::with_capacity(64 * late_edges.len());
                dot_edges(story, late_edges, &mut edges);
                (nodes, edges)
            },
        );
        out.push_str(&late_nodes);
        out.push_str(&early_edges);
        out.push_str(&late_edges);
    }
    out.push_str("}\n");
    out
}

/// The `dot` lines of the scenes `scenes`, in order.
fn dot_nodes(story: &Story, reached: &[bool], scenes: std::ops::Range<usize>, out: &mut String) {
    for index in scenes {
        let scene = &story.scenes[index];
        let id = SceneId(index as u32);
        out.push_str("    ");
        push_dot_quoted(out, &scene.name);
        out.push_str(" [label=");
        push_dot_quoted(out, &node_label(story, id));
        if scene.is_ending {
            out.push_str(", shape=doubleoctagon");
        }
        if id == story.start {
            out.push_str(", penwidth=2");
        }
        if !reached[index] {
            out.push_str(", style=\"rounded,dashed\", color=red, xlabel=\"unreachable\"");
        }
        out.push_str("];\n");
    }
}

/// The `dot` lines of `edges`, in order.
fn dot_edges(story: &Story, edges: &[MapEdge], out: &mut String) {
    for edge in edges {
        out.push_str("    ");
        push_dot_quoted(out, &story.scene(edge.from).name);
        out.push_str(" -> ");
        push_dot_quoted(out, &story.scene(edge.to).name);
        let mut separator = " [";
        if !edge.label.is_empty() {
            out.push_str(separator);
            out.push_str("label=");
            push_dot_quoted(out, &edge.label);
            separator = ", ";
        }
        if edge.guarded {
            out.push_str(separator);
            out.push_str("style=dashed");
            separator = ", ";
        }
        if edge.call {
            out.push_str(separator);
            out.push_str("arrowhead=empty");
            separator = ", ";
        }
        out.push_str(if separator == " [" { ";\n" } else { "];\n" });
    }
}

/// Appends `text` to `out` as a Mermaid label: quotes as entities, line
/// breaks as `<br/>`, control characters made visible.
fn push_mermaid_label(out: &mut String, text: &str) {
    if text
        .bytes()
        .all(|byte| matches!(byte, b' '..=b'~') && byte != b'"')
    {
        out.push_str(text);
        return;
    }
    let text = crate::render::terminal_safe(text);
    if !text.contains(['"', '\n']) {
        out.push_str(&text);
        return;
    }
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '\n' => out.push_str("<br/>"),
            c => out.push(c),
        }
    }
}

/// Mermaid `flowchart`, written into one buffer as [`dot`] is.
pub fn mermaid(story: &Story) -> String {
    let edges = edges(story);
    let reached = reachable(story, &edges);
    let mut out = String::with_capacity(48 * (story.scenes.len() + edges.len()) + 256);
    out.push_str("flowchart LR\n");
    for (index, scene) in story.scenes.iter().enumerate() {
        let (open, close) = if scene.is_ending {
            ("{{\"", "\"}}")
        } else {
            ("[\"", "\"]")
        };
        let _ = write!(out, "    n{index}{open}");
        push_mermaid_label(&mut out, &node_label(story, SceneId(index as u32)));
        out.push_str(close);
        out.push('\n');
    }
    for edge in &edges {
        let arrow = match (edge.guarded, edge.call) {
            (_, true) => "==>",
            (true, false) => "-.->",
            (false, false) => "-->",
        };
        if edge.label.is_empty() {
            let _ = writeln!(out, "    n{} {arrow} n{}", edge.from.0, edge.to.0);
        } else {
            let _ = write!(out, "    n{} {arrow}|\"", edge.from.0);
            push_mermaid_label(&mut out, &edge.label);
            let _ = writeln!(out, "\"| n{}", edge.to.0);
        }
    }
    out.push_str("    classDef ending stroke-width:3px\n");
    out.push_str("    classDef unreachable stroke:#c00,stroke-dasharray:4\n");
    let mut endings = story.endings().peekable();
    if endings.peek().is_some() {
        out.push_str("    class ");
        for (count, id) in endings.enumerate() {
            let _ = write!(out, "{}n{}", if count == 0 { "" } else { "," }, id.0);
        }
        out.push_str(" ending\n");
    }
    let mut unreached = (0..story.scenes.len())
        .filter(|&index| !reached[index])
        .peekable();
    if unreached.peek().is_some() {
        out.push_str("    class ");
        for (count, index) in unreached.enumerate() {
            let _ = write!(out, "{}n{index}", if count == 0 { "" } else { "," });
        }
        out.push_str(" unreachable\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn story(text: &str) -> Story {
        let mut read = |_: &std::path::Path| Ok(text.as_bytes().to_vec());
        let loaded = crate::compile::compile(std::path::Path::new("s.fab"), &mut read).unwrap();
        loaded.story.expect("story compiles")
    }

    /// A big story's map is drawn on two threads, each taking half of the
    /// scenes: it must be the map one thread draws, byte for byte.
    #[test]
    fn two_threads_draw_the_map_one_thread_draws() {
        let story = story(
            "title: Halves\nvar n = 0\n\
             == a: Start\n# year: 1922\n* (go) {n > 0} Go -> b\n* Call\n    -> t ->\n    -> c\n* Wait -> a\n\
             == t\nA tunnel.\n->->\n\
             == b\n~ n += 1\nif n > 2:\n    -> ending won\n-> c\n\
             == c: \"Quoted\"\n* Back -> a\n* Stop -> ending won\n\
             == ending won: Won\nDone.\n",
        );
        assert_eq!(edges_split(&story, usize::MAX), edges_split(&story, 0));
        let one = dot_split(&story, usize::MAX);
        assert!(
            one.contains("penwidth=2") && one.contains("arrowhead=empty"),
            "{one}"
        );
        assert!(
            one.contains("style=dashed") && one.contains("doubleoctagon"),
            "{one}"
        );
        assert_eq!(one, dot_split(&story, 0));
    }

    /// Regression: a call's span ran to the end of its line, so a guard
    /// `{visits(a) > 1} Go` was drawn as `visits(a) > 1} Go`.
    #[test]
    fn bug_a_guard_with_a_call_was_drawn_with_the_rest_of_its_line() {
        let story = story(
            "title: T\n== a\n* (go) {visits(a) > 1} Go -> a\n* {taken(go)} Stop -> ending end\n* Wait -> a\n== ending end\nDone.\n",
        );
        let mut labels: Vec<String> = edges(&story).into_iter().map(|edge| edge.label).collect();
        labels.sort();
        assert_eq!(
            labels,
            ["(go) Go [visits(a) > 1]", "Stop [taken(go)]", "Wait"]
        );
    }

    #[test]
    fn choices_become_labelled_edges() {
        let story = story(
            "title: T\nvar a = 1\n== one: One\n* (left) Go left -> two\n+ {a > 2} Go right\n    -> ending end\n== two\n-> ending end\n== ending end: The End\nDone.\n",
        );
        let found = edges(&story);
        let labels: Vec<(&str, &str, &str, bool)> = found
            .iter()
            .map(|e| {
                (
                    story.scene(e.from).name.as_str(),
                    story.scene(e.to).name.as_str(),
                    e.label.as_str(),
                    e.guarded,
                )
            })
            .collect();
        assert_eq!(
            labels,
            [
                ("one", "two", "(left) Go left", false),
                ("one", "end", "Go right [a > 2]", true),
                ("two", "end", "", false),
            ]
        );
        let dot = dot(&story);
        assert!(
            dot.contains("\"end\" [label=\"The End\\nend\", shape=doubleoctagon]"),
            "{dot}"
        );
        let mermaid = mermaid(&story);
        assert!(
            mermaid.contains("n0 -.->|\"Go right [a > 2]\"| n2"),
            "{mermaid}"
        );
    }
    #[test]
    fn scene_tags_are_drawn_under_the_name() {
        let story = story(
            "title: T\n== one: One\n# year: 1922\n# quiet\nText.\n-> ending end\n== ending end: The End\n# year: 1929\nDone.\n",
        );
        let dot = dot(&story);
        assert!(
            dot.contains("\"one\" [label=\"One\\none\\n# year: 1922  # quiet\", penwidth=2]"),
            "{dot}"
        );
        assert!(
            dot.contains("\"end\" [label=\"The End\\nend\\n# year: 1929\", shape=doubleoctagon]"),
            "{dot}"
        );
        let mermaid = mermaid(&story);
        assert!(
            mermaid.contains("n0[\"One<br/>one<br/># year: 1922  # quiet\"]"),
            "{mermaid}"
        );
        // Many tags are shortened, not drawn as a wall of text.
        let many: String = (0..30).map(|n| format!("# tag{n}: {n}\n")).collect();
        let story = super::tests::story(&format!(
            "title: T\n== one\n{many}Text.\n-> ending end\n== ending end\nDone.\n"
        ));
        let label = node_label(&story, SceneId(0));
        assert!(label.ends_with('…'), "{label}");
        assert_eq!(label.lines().nth(1).unwrap().chars().count(), 60);
    }

    #[test]
    fn tunnel_calls_are_drawn_as_calls() {
        let story = story(
            "title: T\n== one\n-> greet(1) ->\n* Talk\n    -> greet(2) ->\n    -> ending end\n== greet(n: int)\nHello {n}.\n->->\n== ending end\nDone.\n",
        );
        let all = edges(&story);
        let found: Vec<(&str, &str, &str, bool)> = all
            .iter()
            .map(|e| {
                (
                    story.scene(e.from).name.as_str(),
                    story.scene(e.to).name.as_str(),
                    e.label.as_str(),
                    e.call,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("one", "greet", "Talk (calls)", true),
                ("one", "greet", "calls", true),
                ("one", "end", "Talk", false),
            ]
        );
        let dot = dot(&story);
        assert!(
            dot.contains("\"one\" -> \"greet\" [label=\"calls\", arrowhead=empty]"),
            "{dot}"
        );
        assert!(mermaid(&story).contains("n0 ==>|\"calls\"| n1"));
        // Reached only by calls, the tunnel is not drawn as unreachable.
        assert!(reachable(&story, &edges(&story)).iter().all(|seen| *seen));
    }

    /// A guard or requirement that calls a function is labelled with the
    /// call as written, as any guard. Regression: a call's (and a set
    /// literal's) span ran from the closing bracket to the end of the line,
    /// so the label took the rest of the choice line with it.
    #[test]
    fn guards_through_functions_are_labelled_with_the_call() {
        let story = story(
            "title: T\nvar votes = 3\nfn majority(votes: int, seats: int) -> bool:\n    temp half = seats / 2\n    return votes > half\n== one\n* {majority(votes, 7)} Vote -> ending out\n* [requires not majority(votes, 5): \"too many\"] Wait -> ending out\n== ending out\nOut.\n",
        );
        let mut labels: Vec<String> = edges(&story).into_iter().map(|e| e.label).collect();
        labels.sort();
        assert_eq!(
            labels,
            ["Vote [majority(votes, 7)]", "Wait [not majority(votes, 5)]"]
        );
    }

    /// Regression (issue #15): a guard starting with `not` was labelled
    /// with the rest of its line (`not (key in pack)} Open -> ending out`):
    /// the `not`'s span ran to the end of the line.
    #[test]
    fn bug_not_guard_label_ran_to_the_end_of_the_line() {
        let story = story(
            "title: T\nenum Tool { key, rope }\nvar pack: set of Tool = {key}\n== one\n* {not (key in pack)} Open -> ending out\n* [requires not rope in pack] Climb -> ending out\n* -> ending out\n== ending out\nOut.\n",
        );
        let mut labels: Vec<String> = edges(&story).into_iter().map(|e| e.label).collect();
        labels.sort();
        assert_eq!(
            labels,
            [
                "(fallback)",
                "Climb [not rope in pack]",
                "Open [not (key in pack)]"
            ]
        );
    }

    /// Regression (issue #10): `reachable` filtered every edge for each
    /// scene, so a 100,000-scene chain took 13 s to map. A long chain, with
    /// its edges given in reverse order, is reached to its end.
    #[test]
    fn reachable_follows_a_long_chain_in_any_edge_order() {
        let scenes = 20_000;
        let mut text = String::from("title: Chain\n");
        for index in 0..scenes - 1 {
            text.push_str(&format!("== s{index}\n-> s{}\n", index + 1));
        }
        text.push_str(&format!(
            "== s{}\n-> ending done\n== ending done\nDone.\n",
            scenes - 1
        ));
        let mut read = |_: &std::path::Path| Ok(text.as_bytes().to_vec());
        let loaded = crate::compile::compile(std::path::Path::new("s.fab"), &mut read).unwrap();
        let story = loaded.story.expect("story compiles");
        let mut found = edges(&story);
        assert_eq!(found.len(), scenes);
        found.reverse();
        assert!(reachable(&story, &found).iter().all(|reached| *reached));
        // Cut the chain at s100: what follows is unreached.
        let cut = story
            .scenes
            .iter()
            .position(|scene| scene.name == "s100")
            .unwrap();
        found.retain(|edge| edge.from.index() != cut);
        let reached = reachable(&story, &found);
        for (index, scene) in story.scenes.iter().enumerate() {
            let after_cut = scene
                .name
                .strip_prefix('s')
                .and_then(|number| number.parse::<usize>().ok())
                .is_none_or(|number| number > 100);
            assert_eq!(reached[index], !after_cut, "{}", scene.name);
        }
    }
    /// A story's titles and choices reach the map raw no more: escape
    /// sequences in them would act on the terminal the map is printed to.
    #[test]
    fn control_characters_in_labels_are_neutralised() {
        let story = story(
            "title: T\x1b]0;x\x07\n== one: One\x1b[2J\n* Go \x1b[5m -> ending end\n== ending end: End\nDone.\n",
        );
        for map in [dot(&story), mermaid(&story)] {
            assert!(!map.contains('\x1b') && !map.contains('\x07'), "{map}");
            assert!(map.contains("One\u{241b}[2J"), "{map}");
        }
    }
}
