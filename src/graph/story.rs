//! What a compiled story answers about itself: its texts, code and
//! scenes by id and name, its edges, its endings and pages, and how a
//! value is shown. Apart from `graph/mod.rs`, which holds the graph's
//! types.

use super::*;

impl Story {
    /// A literal text or refusal reason. A range outside the text (only a
    /// hand-made, malformed story has one) reads as empty.
    pub fn label(&self, choice: &Choice) -> Option<&str> {
        choice.label.map(|range| self.text(range))
    }

    /// A range of the text arena.
    pub fn text(&self, range: TextRange) -> &str {
        self.text
            .get(range.start as usize, range.len as usize)
            .unwrap_or_default()
    }

    /// An expression's code. A range outside the code (only a hand-made,
    /// malformed story has one) reads as empty, which evaluates to a fault.
    pub fn code(&self, expr: &Expr) -> &[Instr] {
        self.code_range(expr.code)
    }

    /// The source text a span covers, trimmed, when the story's sources
    /// are at hand (a story read back from RON has none); empty otherwise.
    pub fn source_text(&self, span: Span) -> &str {
        if span.file.0 as usize >= self.sources.len() {
            return "";
        }
        let text = &self.sources.get(span.file).text;
        text.get(span.range()).unwrap_or_default().trim()
    }

    /// The code an expression runs: its own, then the body of every
    /// function it calls, directly or through other functions, each once.
    /// Walked with a worklist, so a long chain of calls cannot overflow the
    /// stack. For analyses that must see what a call reads.
    pub fn reachable_code<'s>(&'s self, code: &'s [Instr]) -> Vec<&'s [Instr]> {
        let mut seen = vec![false; self.functions.len()];
        let mut found = vec![code];
        let mut next = 0;
        while let Some(&code) = found.get(next) {
            next += 1;
            for instr in code {
                if let Instr::Call(id) = instr
                    && let Some(flag) = seen.get_mut(id.index())
                    && !*flag
                {
                    *flag = true;
                    if let Some(range) = self.functions[id.index()].code {
                        found.push(self.code_range(range));
                    }
                }
            }
        }
        found
    }

    /// A run of [`Story::code`]; empty when out of range.
    pub fn code_range(&self, range: CodeRange) -> &[Instr] {
        self.code
            .get(range.start as usize, range.len as usize)
            .unwrap_or_default()
    }

    /// What the evaluator needs to run calls: the functions and the code
    /// arena's first part, which holds every function's body (they are
    /// lowered before the scenes, in the first run).
    pub(crate) fn program(&self) -> eval::Program<'_> {
        eval::Program {
            code: &self.code.head,
            functions: &self.functions,
        }
    }

    /// The function called `name`, if any.
    pub fn function_by_name(&self, name: &str) -> Option<FnId> {
        self.functions
            .iter()
            .position(|function| function.name == name)
            .map(|index| FnId(index as u32))
    }

    /// A scene by its id.
    ///
    /// # Panics
    ///
    /// When `id` is not a scene of this story.
    pub fn scene(&self, id: SceneId) -> &Scene {
        &self.scenes[id.index()]
    }

    /// The choices of the block at op `pc` of `scene`; `None` when there is
    /// no such scene or op, or the op is not a choice block.
    pub fn choice_block(&self, scene: SceneId, pc: u32) -> Option<&[Choice]> {
        match self.scenes.get(scene.index())?.ops.get(pc as usize)? {
            Op::Choices { choices, .. } => Some(choices),
            _ => None,
        }
    }

    /// The scene, ending or page called `name`, if any.
    pub fn scene_by_name(&self, name: &str) -> Option<SceneId> {
        self.scenes
            .iter()
            .position(|scene| scene.name == name)
            .map(|index| SceneId(index as u32))
    }

    /// The pages, in declaration order: what the player can open.
    pub fn pages(&self) -> impl Iterator<Item = (SceneId, &Scene)> {
        self.scenes
            .iter()
            .enumerate()
            .filter(|(_, scene)| scene.is_page)
            .map(|(index, scene)| (SceneId(index as u32), scene))
    }

    /// The variable called `name`, if any.
    pub fn var_by_name(&self, name: &str) -> Option<VarId> {
        self.vars
            .iter()
            .position(|var| var.name == name)
            .map(|index| VarId(index as u32))
    }

    /// The endings, in declaration order.
    pub fn endings(&self) -> impl Iterator<Item = SceneId> + '_ {
        self.scenes
            .iter()
            .enumerate()
            .filter(|(_, scene)| scene.is_ending)
            .map(|(index, _)| SceneId(index as u32))
    }

    /// Every divert and tunnel call in the story, as an edge.
    pub fn edges(&self) -> impl Iterator<Item = Edge> + '_ {
        self.scenes.iter().enumerate().flat_map(|(index, scene)| {
            scene.ops.iter().filter_map(move |op| match op {
                Op::Divert { target, span } | Op::Call { target, span, .. } => Some(Edge {
                    from: SceneId(index as u32),
                    to: *target,
                    span: *span,
                }),
                _ => None,
            })
        })
    }

    /// Every tunnel call, as an edge back from the tunnel to its caller:
    /// where a `->->` can go. With [`Story::edges`], every way the story
    /// can come into a scene again (a tunnel called from two scenes is
    /// entered twice without a cycle of diverts).
    pub fn returns(&self) -> impl Iterator<Item = Edge> + '_ {
        self.scenes.iter().enumerate().flat_map(|(index, scene)| {
            scene.ops.iter().filter_map(move |op| match op {
                Op::Call { target, span, .. } => Some(Edge {
                    from: *target,
                    to: SceneId(index as u32),
                    span: *span,
                }),
                _ => None,
            })
        })
    }

    /// `path:line:column` of a span, when the sources are at hand.
    pub fn locate(&self, span: Span) -> Option<String> {
        if span.file.0 as usize >= self.sources.len() {
            return None;
        }
        let file = self.sources.get(span.file);
        let (line, column) = file.line_col(span.start as usize);
        Some(format!("{}:{line}:{column}", file.path.display()))
    }

    /// How to write a value for a player: ints and text as they are, enum
    /// values by name, sets as `a, b`.
    pub fn display_value(&self, value: &Value, ty: Type) -> String {
        let mut out = String::new();
        match eval::display(self, value, ty, &mut out) {
            Ok(()) => out,
            // A value that does not match its type: its raw form.
            Err(_) => match value {
                Value::Enum(variant) => variant.to_string(),
                Value::Set(bits) => format!("{bits:#x}"),
                _ => out,
            },
        }
    }
}
