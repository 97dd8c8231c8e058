//! The declaration pass: headers, and every enum, constant, variable and
//! scene name, collected before any scene is lowered.

use std::collections::HashSet;

use super::lower::Lowering;
use super::suggest::did_you_mean;
use super::{Enum, EnumId, FnId, PLAYER_COMMANDS, SceneId, Type, Value, Var, VarId};
use crate::ast::{self, HeaderKey};
use crate::diagnostic::{Code, Diagnostic, SourceMap, Span};
use crate::syntax::Outline;

/// What a name in an expression means.
#[derive(Debug, Clone)]
pub(crate) enum Symbol {
    Const(Value, Type),
    Var(VarId),
    Variant(EnumId, u32),
    EnumType(EnumId),
    Function(FnId),
}

/// A function's signature, known before any body is lowered.
#[derive(Debug, Clone)]
pub(crate) struct Signature {
    pub(super) name: String,
    pub(super) params: Vec<Type>,
    pub(super) returns: Type,
}

/// Everything declared in a story: read-only while scenes are lowered.
#[derive(Debug, Default)]
pub(crate) struct Names {
    /// Every declared name, with where it was declared.
    pub(super) symbols: foldhash::HashMap<String, (Symbol, Span)>,
    /// Names whose declaration was wrong (and reported): using one is not
    /// reported again as undeclared.
    pub(super) broken: HashSet<String>,
    pub(super) vars: Vec<Var>,
    pub(super) enums: Vec<Enum>,
    pub(super) functions: Vec<Signature>,
    /// Every function's name, known before constants are declared, so a
    /// constant that calls one is told why it cannot.
    pub(super) function_names: HashSet<String>,
    /// Every scene's id, by name; hashed with foldhash (seeded per
    /// process), the table every divert looks its target up in.
    pub(super) scene_ids: super::scene_names::SceneNames,
    /// Per scene: whether it is an ending.
    pub(super) endings: Vec<bool>,
    /// Per scene: whether it is a page.
    pub(super) pages: Vec<bool>,
    /// Every choice label, by its scene and name: its index in `labels`.
    pub(super) label_ids: foldhash::HashMap<(SceneId, String), u32>,
    /// Per label index: its scene and the label as written (the first of
    /// a scene's labels of one name, when it is written twice).
    pub(super) labels: Vec<(SceneId, ast::Ident)>,
    /// Per scene: its parameters, each with its type (`None` when the
    /// type was wrong, and reported).
    pub(super) params: Vec<Vec<(ast::Ident, Option<Type>)>>,
    /// Whether any scene has parameters: when none does, a divert needs
    /// no look in `params` (for a big story, a cache miss per divert).
    pub(super) any_params: bool,
    /// Where a divert to an unknown scene points, so the program keeps its
    /// shape for the graph passes. Such a story is never returned.
    pub(super) fallback_scene: SceneId,
    /// How many candidate names "did you mean" has compared so far, for
    /// the whole story and every thread lowering it ([`Names::suggest`]).
    pub(super) suggestions_tried: std::sync::atomic::AtomicUsize,
}

/// At most this many candidate names are compared for "did you mean" in
/// one story (each an edit distance): a story with thousands of misspelt
/// names among thousands of declared ones made the check quadratic
/// (n = 2,000 took 81 s). Past it, errors still come, without suggestions.
pub(crate) const SUGGESTION_BUDGET: usize = 2_000_000;

impl Names {
    /// [`did_you_mean`] within the story's [`SUGGESTION_BUDGET`]: `None`
    /// once the budget is spent.
    pub(super) fn suggest<'a>(
        &self,
        name: &str,
        candidates: impl Iterator<Item = &'a str>,
    ) -> Option<&'a str> {
        use std::sync::atomic::Ordering;
        let tried = &self.suggestions_tried;
        let mut spent = false;
        let budgeted = candidates.take_while(|_| {
            spent = tried.fetch_add(1, Ordering::Relaxed) >= SUGGESTION_BUDGET;
            !spent
        });
        let best = did_you_mean(name, budgeted);
        if spent { None } else { best }
    }

    fn declare(
        &mut self,
        name: &ast::Ident,
        symbol: Symbol,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> bool {
        if let Some((_, first)) = self.symbols.get(&name.name) {
            diagnostics.push(
                Diagnostic::new(
                    Code::E0102,
                    name.span,
                    format!("`{}` is declared twice", name.name),
                )
                .with_label(*first, "first declared here")
                .with_help("names of variables, constants, enums, enum values and functions share one namespace; rename one"),
            );
            return false;
        }
        self.symbols.insert(name.name.clone(), (symbol, name.span));
        true
    }

    fn declare_enums(&mut self, files: &[Outline], diagnostics: &mut Vec<Diagnostic>) {
        for decl in files.iter().flat_map(|file| &file.prologue.decls) {
            if let ast::Decl::Enum {
                name,
                variants,
                display,
                ..
            } = decl
            {
                let id = EnumId(self.enums.len() as u32);
                if !self.declare(name, Symbol::EnumType(id), diagnostics) {
                    continue;
                }
                let mut names = Vec::new();
                let mut shown = Vec::new();
                for (variant, text) in variants.iter().zip(display) {
                    if self.declare(
                        variant,
                        Symbol::Variant(id, names.len() as u32),
                        diagnostics,
                    ) {
                        names.push(variant.name.clone());
                        shown.push(text.clone().unwrap_or_else(|| variant.name.clone()));
                    }
                }
                self.enums.push(Enum {
                    name: name.name.clone(),
                    variants: names,
                    display: shown,
                });
            }
        }
    }

    /// Every function's signature, in declaration order; returns each
    /// declared function with its id, for lowering its body.
    fn declare_functions(
        &mut self,
        files: &[Outline],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<(FnId, ast::Function)> {
        let mut declared = Vec::new();
        for function in files.iter().flat_map(|file| &file.prologue.functions) {
            let mut lowering = Lowering::new(self);
            let params: Vec<Option<Type>> = function
                .params
                .iter()
                .map(|(_, ty)| lowering.type_expr(ty))
                .collect();
            let returns = lowering.type_expr(&function.returns);
            diagnostics.append(&mut lowering.diagnostics);
            let (Some(params), Some(returns)) =
                (params.into_iter().collect::<Option<Vec<Type>>>(), returns)
            else {
                self.broken.insert(function.name.name.clone());
                continue;
            };
            let id = FnId(self.functions.len() as u32);
            if self.declare(&function.name, Symbol::Function(id), diagnostics) {
                self.functions.push(Signature {
                    name: function.name.name.clone(),
                    params,
                    returns,
                });
                declared.push((id, function.clone()));
            }
        }
        declared
    }

    /// Constants, then variables, in order: a constant may use the constants
    /// above it; a variable's initial value may use any constant.
    fn declare_values(&mut self, files: &[Outline], diagnostics: &mut Vec<Diagnostic>) {
        for decl in files.iter().flat_map(|file| &file.prologue.decls) {
            if let ast::Decl::Const { name, value, .. } = decl {
                let mut lowering = Lowering::new(self);
                let constant = lowering.constant(value, None);
                diagnostics.append(&mut lowering.diagnostics);
                match constant {
                    Some((constant, ty)) => {
                        self.declare(name, Symbol::Const(constant, ty), diagnostics);
                    }
                    None => {
                        self.broken.insert(name.name.clone());
                    }
                }
            }
        }
        for decl in files.iter().flat_map(|file| &file.prologue.decls) {
            if let ast::Decl::Var {
                name, ty, value, ..
            } = decl
            {
                let mut lowering = Lowering::new(self);
                let declared = match ty {
                    Some(ty) => match lowering.type_expr(ty) {
                        Some(ty) => Some(ty),
                        None => {
                            diagnostics.append(&mut lowering.diagnostics);
                            self.broken.insert(name.name.clone());
                            continue;
                        }
                    },
                    None => None,
                };
                let value = lowering.constant(value, declared);
                diagnostics.append(&mut lowering.diagnostics);
                let Some((initial, ty)) = value else {
                    self.broken.insert(name.name.clone());
                    continue;
                };
                let id = VarId(self.vars.len() as u32);
                if self.declare(name, Symbol::Var(id), diagnostics) {
                    self.vars.push(Var {
                        name: name.name.clone(),
                        ty,
                        initial,
                        span: name.span,
                    });
                }
            }
        }
    }

    /// Gives every scene with a valid, first-of-its-name header an id, in
    /// order. Returns, per file and scene, the id it got.
    fn declare_scenes(
        &mut self,
        files: &[Outline],
        sources: &SourceMap,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<Vec<Option<SceneId>>> {
        let count = files.iter().map(|file| file.scenes.len()).sum();
        self.scene_ids.reserve(count);
        // Sized once: a million scenes' lists would otherwise be copied as
        // they double.
        self.endings.reserve(count);
        self.pages.reserve(count);
        self.params.reserve(count);
        // Each id's header span, for reporting a second scene of its name.
        let mut spans: Vec<Span> = Vec::with_capacity(count);
        let mut ids = Vec::with_capacity(files.len());
        for file in files {
            let text = &sources.get(file.file).text;
            let mut file_ids = Vec::with_capacity(file.scenes.len());
            for scene in &file.scenes {
                let Some(header) = &scene.header else {
                    file_ids.push(None);
                    continue;
                };
                let (kind, params) = (&header.kind, &header.params);
                let (name, span) = (&text[header.name.range()], header.name);
                // One probe of the table: found, or inserted.
                let id = match self.scene_ids.insert_new(name) {
                    Err(first) => {
                        diagnostics.push(
                            Diagnostic::new(
                                Code::E0101,
                                span,
                                format!("scene `{name}` is declared twice"),
                            )
                            .with_label(spans[first.index()], "first declared here")
                            .with_help("rename one of the scenes"),
                        );
                        file_ids.push(None);
                        continue;
                    }
                    Ok(id) => id,
                };
                spans.push(span);
                self.endings.push(*kind == ast::SceneKind::Ending);
                self.pages.push(*kind == ast::SceneKind::Page);
                let params = self.declare_params(params, diagnostics);
                self.any_params |= !params.is_empty();
                self.params.push(params);
                // The player's commands are matched ignoring case.
                if *kind == ast::SceneKind::Page
                    && PLAYER_COMMANDS
                        .iter()
                        .any(|command| command.eq_ignore_ascii_case(name))
                {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::E0310,
                            span,
                            format!("page `{name}` has the name of a player command"),
                        )
                        .with_help(format!(
                            "the player opens a page by typing its id, and `{name}` already means something; rename the page"
                        )),
                    );
                }
                file_ids.push(Some(id));
            }
            ids.push(file_ids);
        }
        ids
    }

    /// Collects every scene's choice labels (`* (label) …`), reporting a
    /// label written twice in one scene (`E0120`).
    fn declare_labels(
        &mut self,
        files: &[Outline],
        ids: &[Vec<Option<SceneId>>],
        sources: &SourceMap,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        for (outline, file_ids) in files.iter().zip(ids) {
            let text = &sources.get(outline.file).text;
            for (index, id) in file_ids.iter().enumerate() {
                let Some(scene) = *id else { continue };
                for label in outline.choice_labels(text, index) {
                    let key = (scene, label.name.clone());
                    if let Some(&first) = self.label_ids.get(&key) {
                        let first = self.labels[first as usize].1.span;
                        diagnostics.push(
                            Diagnostic::new(
                                Code::E0120,
                                label.span,
                                format!("the label `{}` is given twice in this scene", label.name),
                            )
                            .with_label(first, "first given here")
                            .with_help("a label names one choice of its scene; rename one of them"),
                        );
                        continue;
                    }
                    self.label_ids.insert(key, self.labels.len() as u32);
                    self.labels.push((scene, label));
                }
            }
        }
    }

    /// Resolves a scene's parameter types. A parameter may not share its
    /// name with another parameter or with a declared name (`E0102`): a
    /// reader of the scene could not tell which one a line means.
    fn declare_params(
        &self,
        params: &[ast::Param],
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Vec<(ast::Ident, Option<Type>)> {
        // Most scenes take none: no lowering to set up for them.
        if params.is_empty() {
            return Vec::new();
        }
        let mut lowering = Lowering::new(self);
        let mut declared: Vec<(ast::Ident, Option<Type>)> = Vec::with_capacity(params.len());
        for param in params {
            let ty = lowering.type_expr(&param.ty);
            let first = declared
                .iter()
                .find(|(other, _)| other.name == param.name.name)
                .map(|(other, _)| other.span)
                .or_else(|| self.symbols.get(&param.name.name).map(|(_, span)| *span));
            if let Some(first) = first {
                lowering.report(
                    Diagnostic::new(
                        Code::E0102,
                        param.name.span,
                        format!("`{}` is declared twice", param.name.name),
                    )
                    .with_label(first, "first declared here")
                    .with_help("a parameter's name is its own in the scene; rename it"),
                );
            }
            declared.push((param.name.clone(), ty));
        }
        diagnostics.append(&mut lowering.diagnostics);
        declared
    }

    /// The help for an unknown scene `name`; `ending` when it was named as
    /// an ending (`-> ending name`, `expect ending name`), so the help
    /// declares it as one.
    pub(super) fn suggest_scene(&self, name: &str, ending: bool) -> String {
        if let Some(best) = self.suggest(name, self.scene_ids.keys()) {
            return format!("did you mean `{best}`?");
        }
        if matches!(name, "END" | "DONE") {
            // ink's way to stop; here a story stops in an ending scene.
            // The story's first ending (by id, so the message is the same
            // every run; the map's order is not).
            let first = self.endings.iter().position(|&is_ending| is_ending);
            let ending = first.map_or("name", |first| self.scene_ids.name(SceneId(first as u32)));
            return format!(
                "a story ends in an ending scene: divert with `-> ending {ending}` to one declared `== ending {ending}`"
            );
        }
        if ending {
            format!("declare the ending with `== ending {name}`")
        } else {
            format!("declare the scene with `== {name}`")
        }
    }
}

/// What the declaration pass found, before any scene is lowered.
#[derive(Debug)]
pub(crate) struct Declared {
    pub(super) names: Names,
    /// Per file and scene, the id the scene got.
    pub(super) ids: Vec<Vec<Option<SceneId>>>,
    pub(super) start: Option<SceneId>,
    pub(super) title: String,
    pub(super) author: Option<String>,
    pub(super) about: Vec<String>,
    /// Every file's `invariant` declarations, lowered with the scenes.
    pub(super) invariants: Vec<ast::Invariant>,
    /// Every function, with its id, lowered before the scenes.
    pub(super) functions: Vec<(FnId, ast::Function)>,
}

/// Reads the headers and declares every enum, constant, variable and
/// scene. `None` when there are no files.
pub(crate) fn declare(
    files: &[Outline],
    sources: &SourceMap,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Declared> {
    let entry = files.first()?;
    let mut title = None;
    let mut author = None;
    let mut start = None;
    let mut about = Vec::new();
    for (index, file) in files.iter().enumerate() {
        for header in &file.prologue.headers {
            if index > 0 {
                diagnostics.push(
                    Diagnostic::new(Code::E0007, header.span, "a header in an included file")
                        .with_help("headers belong in the story's entry file; remove this one, or make this file an entry file that is not included"),
                );
                continue;
            }
            match header.key {
                HeaderKey::Title => title = Some(header.value.clone()),
                HeaderKey::Author => author = Some(header.value.clone()),
                HeaderKey::Start => start = Some(header),
                HeaderKey::About => about.push(header.value.clone()),
            }
        }
    }
    let title = title.unwrap_or_else(|| {
        sources
            .get(entry.file)
            .path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default()
    });

    let mut names = Names::default();
    names.declare_enums(files, diagnostics);
    names.function_names = files
        .iter()
        .flat_map(|file| &file.prologue.functions)
        .map(|function| function.name.name.clone())
        .collect();
    names.declare_values(files, diagnostics);
    let functions = names.declare_functions(files, diagnostics);
    let ids = names.declare_scenes(files, sources, diagnostics);
    names.declare_labels(files, &ids, sources, diagnostics);

    let start = match start {
        Some(header) => match names.scene_ids.get(&header.value) {
            Some(id) if names.pages[id.index()] => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0311,
                        header.value_span,
                        format!(
                            "`start:` names `{}`, a page, which the player opens; the story cannot start there",
                            header.value
                        ),
                    )
                    .with_help("name a scene with `start:`"),
                );
                None
            }
            Some(id) => Some(id),
            None => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0302,
                        header.value_span,
                        format!("`start:` names `{}`, which is not a scene", header.value),
                    )
                    .with_help(names.suggest_scene(&header.value, false)),
                );
                None
            }
        },
        // The entry file's first scene that is not a page: a page is never
        // entered. (A big entry file may have been outlined in two parts.)
        None => match files
            .iter()
            .zip(&ids)
            .take_while(|(outline, _)| outline.file == entry.file)
            .flat_map(|(_, ids)| ids)
            .find(|id| id.is_none_or(|id| !names.pages[id.index()]))
        {
            Some(id) => *id,
            None => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::E0302,
                        Span::new(entry.file, 0, 0),
                        "the story has no scene to start from",
                    )
                    .with_help(
                        "add a scene (`== name`) to the entry file, or name one with `start:`",
                    ),
                );
                None
            }
        },
    };
    names.fallback_scene = start.unwrap_or(SceneId(0));
    let invariants = files
        .iter()
        .flat_map(|file| file.prologue.invariants.iter().cloned())
        .collect();
    Some(Declared {
        names,
        ids,
        start,
        title,
        author,
        about,
        invariants,
        functions,
    })
}

/// Finds the scene of the lines lost to a block comment that never ends,
/// or to a scene header that did not parse (`=== start ===`, Yarn's `===`):
/// the scene whose header comes last before them in their file, which may
/// have been meant to go on there. (Every other broken line knows its
/// scene from the parse.)
pub(crate) fn place_broken(broken: &mut [(Option<SceneId>, ast::Broken)], scenes: &[super::Scene]) {
    use ast::Construct::{Comment, Ending, Scene};
    let unplaced = |(scene, lost): &(Option<SceneId>, ast::Broken)| {
        scene.is_none() && matches!(lost.construct, Comment | Scene | Ending)
    };
    if !broken.iter().any(unplaced) {
        return;
    }
    // Headers by position, searched by halves: as many broken headers as
    // scenes stay n log n.
    let mut headers: Vec<(Span, SceneId)> = scenes
        .iter()
        .enumerate()
        .map(|(index, scene)| (scene.span, SceneId(index as u32)))
        .collect();
    headers.sort_unstable_by_key(|(span, _)| (span.file, span.start));
    for entry in broken.iter_mut() {
        if !unplaced(entry) {
            continue;
        }
        let at = entry.1.span;
        let after =
            headers.partition_point(|(span, _)| (span.file, span.start) <= (at.file, at.start));
        entry.0 = after
            .checked_sub(1)
            .map(|before| headers[before])
            .filter(|(span, _)| span.file == at.file)
            .map(|(_, scene)| scene);
    }
}

/// Marks the names the lines that did not parse held as poisoned, and
/// withdraws what lowering reported about them: a name declared nowhere
/// (E0103, E0104, E0105) that a broken line may have declared. Returns the
/// poisoned names (a variable among them is not "never read": a broken line
/// may read it) and the variables that an undeclared name is a likely
/// misspelling of (`if oill == 2` reads `oil`, as its E0103's "did you mean
/// `oil`?" says, so `oil` is not unread either). The misspelling is taken
/// from lowering's help rather than measured again, so this stays linear
/// however many reports there are.
pub(crate) fn poison<'b>(
    broken: &'b [(Option<SceneId>, ast::Broken)],
    diagnostics: &mut Vec<Diagnostic>,
    sources: &SourceMap,
) -> (HashSet<&'b str>, HashSet<String>) {
    let poisoned: HashSet<&str> = broken
        .iter()
        .flat_map(|(_, lost)| lost.names.iter().map(String::as_str))
        .collect();
    if !poisoned.is_empty() {
        diagnostics.retain(|diagnostic| {
            if !matches!(diagnostic.code, Code::E0103 | Code::E0104 | Code::E0105) {
                return true;
            }
            // The name the report is about is what its span covers
            // (`ending talked` for a divert to an ending).
            let text = &sources.get(diagnostic.span.file).text;
            let name = text.get(diagnostic.span.range()).unwrap_or_default();
            let mut words = name
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|word| !word.is_empty())
                .peekable();
            words.peek().is_none() || !words.all(|word| poisoned.contains(word))
        });
    }
    let misspelt = diagnostics
        .iter()
        .filter(|d| d.code == Code::E0103)
        .filter_map(|d| {
            let help = d.help.as_deref()?;
            let name = help.strip_prefix("did you mean `")?.strip_suffix("`?")?;
            Some(name.to_string())
        })
        .collect();
    (poisoned, misspelt)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;

    /// "Did you mean" stops once the story has compared its budget of
    /// candidates: the errors still come, without suggestions, so many
    /// misspelt names among many declared ones stay linear.
    #[test]
    fn suggestions_stop_when_the_budget_is_spent() {
        let names = Names::default();
        let candidates = ["troika", "right", "left"];
        assert_eq!(
            names.suggest("rihgt", candidates.into_iter()),
            Some("right")
        );
        assert_eq!(names.suggestions_tried.load(Ordering::Relaxed), 3);
        names
            .suggestions_tried
            .store(SUGGESTION_BUDGET - 1, Ordering::Relaxed);
        assert_eq!(names.suggest("rihgt", candidates.into_iter()), None);
        assert_eq!(names.suggest("rihgt", candidates.into_iter()), None);
    }
}
