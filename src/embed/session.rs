//! [`Session`]: one game of a [`Story`], for a game engine: paragraphs one
//! at a time, choices, variables by name, observers, jumps, saves.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use crate::graph::{self, SceneId, Tag, Value};
use crate::runtime::{self, ChooseError, Ending, Event, RuntimeError, UndoError, savefile};

use super::Story;
use super::value::{Mismatch, VarType, VarValue, to_value};

/// A paragraph of the story's text, with its tags and the scene it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paragraph {
    /// The text, trimmed, markup evaluated.
    pub text: String,
    /// Its tags: `# portrait: stalin` on the line before it.
    pub tags: Vec<Tag>,
    /// The name of the scene it was written in.
    pub scene: String,
}

/// A choice on offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// What [`Session::choose`] takes: its position in [`Session::choices`].
    pub index: usize,
    /// The text, markup evaluated.
    pub text: String,
    /// False for a `[requires …]` choice whose condition is false: shown,
    /// but refused.
    pub enabled: bool,
    /// Why a disabled choice is refused, in the author's words.
    pub reason: Option<String>,
    /// Its tags.
    pub tags: Vec<Tag>,
}

/// A scene, as a game shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SceneInfo {
    /// The name diverts use: `gorki`.
    pub name: String,
    /// The title after the name: `== gorki: Gorki, December 1922`.
    pub title: Option<String>,
    /// The tags right after its header.
    pub tags: Vec<Tag>,
    /// Whether it is an `== ending`.
    pub is_ending: bool,
}

impl SceneInfo {
    pub(super) fn of(story: &graph::Story, scene: SceneId) -> SceneInfo {
        let found = story.scene(scene);
        SceneInfo {
            name: found.name.clone(),
            title: found.title.clone(),
            tags: found.tags.clone(),
            is_ending: found.is_ending,
        }
    }
}

/// Why a call on a [`Session`] was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlayError {
    /// `session.get("aparatus")` when the story declares `apparatus`.
    #[error("the story has no variable `{name}`{}", did_you_mean(suggestion))]
    UnknownVariable {
        /// The name asked for.
        name: String,
        /// The declared name closest to it.
        suggestion: Option<String>,
    },
    /// `session.set("apparatus", true)` when it is `var apparatus = 0`.
    #[error("`{name}` is {expected}, not {found}")]
    WrongType {
        /// The variable.
        name: String,
        /// Its type: `an int`.
        expected: VarType,
        /// What was given or asked for: `a bool`.
        found: &'static str,
    },
    /// `session.set("faction", "mensheviks")` for `enum Faction { left,
    /// right }`.
    #[error("`{value}` is not a value of `{ty}` (the type of `{name}`); it has {}", values.join(", "))]
    UnknownEnumValue {
        /// The variable.
        name: String,
        /// The name given.
        value: String,
        /// The enum's name.
        ty: String,
        /// The enum's values.
        values: Vec<String>,
    },
    /// `session.jump("politburro")` when the scene is `politburo`.
    #[error("the story has no scene `{name}`{}", did_you_mean(suggestion))]
    UnknownScene {
        /// The name asked for.
        name: String,
        /// The scene name closest to it.
        suggestion: Option<String>,
    },
    /// `session.page("staus")` when the story's page is `status`.
    #[error("the story has no page `{name}`{}", did_you_mean(suggestion))]
    UnknownPage {
        /// The name asked for.
        name: String,
        /// The page name closest to it.
        suggestion: Option<String>,
    },
    /// `session.jump("status")` when `status` is a page: a page is read
    /// with [`Session::page`], never entered.
    #[error("`{name}` is a page: read it with `page`, it cannot be entered")]
    JumpToPage {
        /// The page.
        name: String,
    },
    /// A page whose text fails to render in this state (a division by
    /// zero, a text too long).
    #[error(transparent)]
    Page(RuntimeError),
    /// `session.bind("roll_dic", …)` when the story declares `extern fn
    /// roll_dice`, or names a function that is not `extern`.
    #[error("the story has no `extern fn {name}`{}", did_you_mean(suggestion))]
    UnknownExtern {
        /// The name asked for.
        name: String,
        /// The extern closest to it.
        suggestion: Option<String>,
    },
    /// [`Session::unobserve`] with an observer already removed.
    #[error("no such observer")]
    UnknownObserver,
    /// A choice refused: the story ended, no such choice, or a disabled one.
    #[error(transparent)]
    Choose(#[from] ChooseError),
    /// A save that cannot be written now or read.
    #[error(transparent)]
    Save(#[from] savefile::SaveError),
    /// Undo at the start, or past a [`Session::set`] or [`Session::jump`].
    #[error(transparent)]
    Undo(#[from] UndoError),
    /// `session.taken("office.aks")` when the choice is `* (ask) …`.
    #[error(
        "the story has no choice labelled `{name}`{}",
        did_you_mean(suggestion)
    )]
    UnknownLabel {
        /// The `scene.label` asked for.
        name: String,
        /// The `scene.label` closest to it.
        suggestion: Option<String>,
    },
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|name| format!("; did you mean `{name}`?"))
        .unwrap_or_default()
}

/// Identifies an observer, to remove it with [`Session::unobserve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObserverId(u64);

/// What [`Session::observe`] calls: the variable's name, its old value and
/// its new one.
type Callback = Box<dyn FnMut(&str, &VarValue, &VarValue) + Send>;

struct Observer {
    id: ObserverId,
    var: graph::VarId,
    callback: Callback,
}

/// A game of a [`Story`]: runs to each choice, ending or runtime error, and
/// hands its text out a paragraph at a time (ink's `Continue`) or a page at
/// a time ([`Session::current_text`]).
pub struct Session {
    story: Story,
    inner: runtime::Session,
    /// Paragraphs not yet handed out by [`Session::next_paragraph`].
    pending: VecDeque<Paragraph>,
    /// Every paragraph since the last choice, jump or load.
    page: Vec<Paragraph>,
    /// The tags of the paragraph [`Session::next_paragraph`] returned last.
    tags: Vec<Tag>,
    observers: Vec<Observer>,
    next_observer: u64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("inner", &self.inner)
            .field("pending", &self.pending)
            .field("observers", &self.observers.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Starts a game of `story` (as [`Story::start`]).
    pub fn start(story: &Story, seed: u64) -> Session {
        Session::start_with(story, seed, super::Bindings::new(story))
    }

    /// Starts a game whose `extern fn`s call the host's implementations in
    /// `bindings`, from the opening text on.
    pub fn start_with(story: &Story, seed: u64, bindings: super::Bindings) -> Session {
        let inner = runtime::Session::start_with(Arc::clone(&story.graph), seed, bindings.externs);
        let mut session = Session {
            story: story.clone(),
            inner,
            pending: VecDeque::new(),
            page: Vec::new(),
            tags: Vec::new(),
            observers: Vec::new(),
            next_observer: 0,
        };
        session.read_new(true);
        session
    }

    /// Moves the runtime's new events into the paragraphs to hand out;
    /// `new_page` starts the page afresh (after a choice, jump or load).
    fn read_new(&mut self, new_page: bool) {
        if new_page {
            self.page.clear();
            self.pending.clear();
        }
        let fresh = self.inner.take_new().len();
        let transcript = self.inner.transcript();
        let start = transcript.len() - fresh;
        // The scene the new text starts in: the last one entered before it.
        let story = self.inner.story();
        let mut scene = transcript[..start]
            .iter()
            .rev()
            .find_map(|event| match event {
                Event::Scene { scene, .. } => Some(*scene),
                _ => None,
            })
            .unwrap_or(story.start);
        for event in &transcript[start..] {
            match event {
                Event::Scene { scene: entered, .. } => scene = *entered,
                Event::Paragraph { text, tags } => {
                    let paragraph = Paragraph {
                        text: text.clone(),
                        tags: tags.clone(),
                        scene: story.scene(scene).name.clone(),
                    };
                    self.page.push(paragraph.clone());
                    self.pending.push_back(paragraph);
                }
                Event::Chose { .. } => {}
            }
        }
    }

    /// Runs `change` on the runtime's game, then calls the observers of
    /// every variable whose value it changed, and reads the new text.
    fn changing<T>(
        &mut self,
        new_page: bool,
        change: impl FnOnce(&mut runtime::Session) -> T,
    ) -> T {
        let before = (!self.observers.is_empty()).then(|| self.inner.state().vars.clone());
        let result = change(&mut self.inner);
        self.read_new(new_page);
        if let Some(before) = before {
            self.notify(&before);
        }
        result
    }

    fn notify(&mut self, before: &[Value]) {
        let story = Arc::clone(self.inner.story());
        let after = &self.inner.state().vars;
        for (index, (old, new)) in before.iter().zip(after).enumerate() {
            if old == new {
                continue;
            }
            let var = &story.vars[index];
            let (old, new) = (
                VarValue::of(&story, old, var.ty),
                VarValue::of(&story, new, var.ty),
            );
            for observer in &mut self.observers {
                if observer.var.index() == index {
                    (observer.callback)(&var.name, &old, &new);
                }
            }
        }
    }

    /// The story played.
    pub fn story(&self) -> &Story {
        &self.story
    }

    /// The runtime's session underneath, for what this module does not
    /// cover (the transcript, the raw state).
    pub fn inner(&self) -> &runtime::Session {
        &self.inner
    }

    // --- Text -----------------------------------------------------------

    /// Whether [`Session::next_paragraph`] has a paragraph to give (ink's
    /// `canContinue`).
    pub fn can_continue(&self) -> bool {
        !self.pending.is_empty()
    }

    /// The next paragraph of text not yet handed out (ink's `Continue`);
    /// `None` when the story waits for a choice or has ended.
    pub fn next_paragraph(&mut self) -> Option<Paragraph> {
        let paragraph = self.pending.pop_front()?;
        self.tags.clone_from(&paragraph.tags);
        Some(paragraph)
    }

    /// Every paragraph not yet handed out, one per line (ink's
    /// `ContinueMaximally`).
    pub fn continue_maximally(&mut self) -> String {
        let mut text = Vec::new();
        while let Some(paragraph) = self.next_paragraph() {
            text.push(paragraph.text);
        }
        text.join("\n")
    }

    /// Every paragraph since the last choice, jump or load, whether handed
    /// out or not.
    pub fn current_paragraphs(&self) -> &[Paragraph] {
        &self.page
    }

    /// The text since the last choice, jump or load, one paragraph per line.
    pub fn current_text(&self) -> String {
        let lines: Vec<&str> = self.page.iter().map(|p| p.text.as_str()).collect();
        lines.join("\n")
    }

    /// The tags of the paragraph [`Session::next_paragraph`] returned last
    /// (ink's `currentTags`).
    pub fn current_tags(&self) -> &[Tag] {
        &self.tags
    }

    /// The scene the game is in now.
    pub fn scene(&self) -> SceneInfo {
        SceneInfo::of(self.inner.story(), self.inner.state().scene)
    }

    // --- Choices and endings -------------------------------------------

    /// The choices on offer (ink's `currentChoices`), disabled ones
    /// included; empty once the story has ended or failed.
    pub fn choices(&self) -> Vec<Choice> {
        self.inner
            .choices()
            .iter()
            .map(|view| Choice {
                index: view.index,
                text: view.text.clone(),
                enabled: view.enabled,
                reason: view.reason.clone(),
                tags: view.tags.clone(),
            })
            .collect()
    }

    /// Takes the choice at `index` of [`Session::choices`] and runs on to
    /// the next choice (ink's `ChooseChoiceIndex` and `Continue`). The
    /// paragraphs not yet handed out are dropped: the page starts afresh.
    pub fn choose(&mut self, index: usize) -> Result<(), PlayError> {
        self.changing(true, |inner| inner.choose(index))?;
        Ok(())
    }

    /// The ending reached, once the story is over.
    pub fn ending(&self) -> Option<&Ending> {
        self.inner.ending()
    }

    /// The runtime error the story stopped on (a dead end, a failed
    /// `assert`…); [`Session::undo`], [`Session::jump`],
    /// [`Session::load`] or [`Session::restart`] go on.
    pub fn error(&self) -> Option<&RuntimeError> {
        self.inner.error()
    }

    /// Takes back the last choice.
    pub fn undo(&mut self) -> Result<(), PlayError> {
        self.changing(true, runtime::Session::undo)?;
        Ok(())
    }

    /// Starts again from the beginning with `seed`. Observers stay.
    pub fn restart(&mut self, seed: u64) {
        self.changing(true, |inner| inner.restart(seed));
    }

    /// The seed the game started from: with the same choices, it replays
    /// the same game (ink's `storySeed`).
    pub fn seed(&self) -> u64 {
        self.inner.seed()
    }

    /// How many choices have been made.
    pub fn turns(&self) -> u32 {
        self.inner.state().turns
    }

    // --- Variables ------------------------------------------------------

    fn var(&self, name: &str) -> Result<graph::VarId, PlayError> {
        let story = self.inner.story();
        story
            .var_by_name(name)
            .ok_or_else(|| PlayError::UnknownVariable {
                name: name.to_string(),
                suggestion: graph::did_you_mean(
                    name,
                    story.vars.iter().map(|var| var.name.as_str()),
                )
                .map(str::to_string),
            })
    }

    /// A variable's value (ink's `variablesState[name]`).
    pub fn get(&self, name: &str) -> Result<VarValue, PlayError> {
        let var = self.var(name)?;
        let story = self.inner.story();
        let value = &self.inner.state().vars[var.index()];
        Ok(VarValue::of(story, value, story.vars[var.index()].ty))
    }

    fn get_as<T>(
        &self,
        name: &str,
        found: &'static str,
        pick: impl FnOnce(VarValue) -> Option<T>,
    ) -> Result<T, PlayError> {
        let value = self.get(name)?;
        let story = self.inner.story();
        let expected = VarType::of(story, story.vars[self.var(name)?.index()].ty);
        pick(value).ok_or_else(|| PlayError::WrongType {
            name: name.to_string(),
            expected,
            found,
        })
    }

    /// An `int` variable's value.
    pub fn get_int(&self, name: &str) -> Result<i64, PlayError> {
        self.get_as(name, "an int", |value| match value {
            VarValue::Int(number) => Some(number),
            _ => None,
        })
    }

    /// A `bool` variable's value.
    pub fn get_bool(&self, name: &str) -> Result<bool, PlayError> {
        self.get_as(name, "a bool", |value| match value {
            VarValue::Bool(flag) => Some(flag),
            _ => None,
        })
    }

    /// A `text` variable's value.
    pub fn get_text(&self, name: &str) -> Result<String, PlayError> {
        self.get_as(name, "a text", |value| match value {
            VarValue::Text(text) => Some(text),
            _ => None,
        })
    }

    /// An enum variable's value, by name.
    pub fn get_enum(&self, name: &str) -> Result<String, PlayError> {
        self.get_as(name, "an enum value", |value| match value {
            VarValue::Enum(variant) => Some(variant),
            _ => None,
        })
    }

    /// A set variable's values, by name, in the enum's order.
    pub fn get_set(&self, name: &str) -> Result<Vec<String>, PlayError> {
        self.get_as(name, "a set", |value| match value {
            VarValue::Set(names) => Some(names),
            _ => None,
        })
    }

    /// Sets a variable (ink's `variablesState[name] = value`), then offers
    /// the choices again, since their conditions may read it; observers
    /// of it are called. Refused, changing nothing, for an unknown name, a
    /// value of another type or an unknown enum value. Undo does not go
    /// back past it.
    pub fn set(&mut self, name: &str, value: impl Into<VarValue>) -> Result<(), PlayError> {
        let var = self.var(name)?;
        let story = Arc::clone(self.inner.story());
        let declared = &story.vars[var.index()];
        let value = value.into();
        let found = value.kind();
        let value = to_value(&story, value, declared.ty).map_err(|mismatch| match mismatch {
            Mismatch::Type => PlayError::WrongType {
                name: name.to_string(),
                expected: VarType::of(&story, declared.ty),
                found,
            },
            Mismatch::Variant(value) => {
                let enum_id = match declared.ty {
                    graph::Type::Enum(id) | graph::Type::Set(id) => id,
                    _ => graph::EnumId(0),
                };
                let found = &story.enums[enum_id.index()];
                PlayError::UnknownEnumValue {
                    name: name.to_string(),
                    value,
                    ty: found.name.clone(),
                    values: found.variants.clone(),
                }
            }
        })?;
        // The runtime refuses only what `to_value` already has.
        self.changing(false, |inner| inner.set_var(var, value));
        Ok(())
    }

    /// Calls `callback(name, old, new)` after every call on this session
    /// that changes the variable `name` (ink's `ObserveVariable`): a
    /// choice, a [`Session::set`], a jump, an undo, a load or a restart.
    /// Changes are found by comparing every variable before and after the
    /// call, so a variable changed and changed back within one call is not
    /// reported.
    pub fn observe(
        &mut self,
        name: &str,
        callback: impl FnMut(&str, &VarValue, &VarValue) + Send + 'static,
    ) -> Result<ObserverId, PlayError> {
        let var = self.var(name)?;
        let id = ObserverId(self.next_observer);
        self.next_observer += 1;
        self.observers.push(Observer {
            id,
            var,
            callback: Box::new(callback),
        });
        Ok(id)
    }

    /// Removes an observer (ink's `RemoveVariableObserver`).
    pub fn unobserve(&mut self, id: ObserverId) -> Result<(), PlayError> {
        let before = self.observers.len();
        self.observers.retain(|observer| observer.id != id);
        if self.observers.len() == before {
            return Err(PlayError::UnknownObserver);
        }
        Ok(())
    }

    // --- Scenes ---------------------------------------------------------

    /// Goes to the start of a scene (ink's `ChoosePathString`), as a divert
    /// would (counting a visit), and runs on; the page starts afresh.
    /// Undo does not go back past it.
    pub fn jump(&mut self, scene: &str) -> Result<(), PlayError> {
        let id = self.scene_id(scene)?;
        if self.inner.story().scene(id).is_page {
            return Err(PlayError::JumpToPage {
                name: scene.to_string(),
            });
        }
        self.changing(true, |inner| inner.jump(id));
        Ok(())
    }

    /// The page `id` (`== page status`) as it reads now, paragraph by
    /// paragraph. Opening a page changes nothing: no turn, no visit, no
    /// observer called, nothing to undo.
    pub fn page(&mut self, id: &str) -> Result<Vec<Paragraph>, PlayError> {
        let unknown = |story: &graph::Story| PlayError::UnknownPage {
            name: id.to_string(),
            suggestion: graph::did_you_mean(id, story.pages().map(|(_, page)| page.name.as_str()))
                .map(str::to_string),
        };
        let Some(rendered) = self.inner.page(id) else {
            return Err(unknown(self.inner.story()));
        };
        let paragraphs = rendered.map_err(PlayError::Page)?;
        Ok(paragraphs
            .into_iter()
            .map(|(text, tags)| Paragraph {
                text,
                tags,
                scene: id.to_string(),
            })
            .collect())
    }

    /// How many times a scene has been entered (ink's
    /// `VisitCountAtPathString`).
    pub fn visits(&self, scene: &str) -> Result<u32, PlayError> {
        let id = self.scene_id(scene)?;
        Ok(self.inner.state().visits[id.index()])
    }

    /// Whether the choice labelled `scene.label` (`* (label) …` in that
    /// scene) has been chosen, once-only or sticky: `taken(scene.label)`
    /// in the story.
    pub fn taken(&self, choice: &str) -> Result<bool, PlayError> {
        let story = self.inner.story();
        let mut labelled = Vec::new();
        for scene in &story.scenes {
            for op in &scene.ops {
                let graph::Op::Choices { choices, .. } = op else {
                    continue;
                };
                for found in choices.iter() {
                    if let Some(label) = story.label(found) {
                        let name = format!("{}.{label}", scene.name);
                        if name == choice {
                            return Ok(self.inner.state().is_taken(found.id));
                        }
                        labelled.push(name);
                    }
                }
            }
        }
        Err(PlayError::UnknownLabel {
            name: choice.to_string(),
            suggestion: graph::did_you_mean(choice, labelled.iter().map(String::as_str))
                .map(str::to_string),
        })
    }

    fn scene_id(&self, name: &str) -> Result<SceneId, PlayError> {
        let story = self.inner.story();
        story
            .scene_by_name(name)
            .ok_or_else(|| PlayError::UnknownScene {
                name: name.to_string(),
                suggestion: graph::did_you_mean(
                    name,
                    story.scenes.iter().map(|scene| scene.name.as_str()),
                )
                .map(str::to_string),
            })
    }

    // --- Saves ----------------------------------------------------------

    /// The game as a save, a RON string that names scenes, variables and
    /// enum values (ink's `state.ToJson`). Refused while the game is
    /// stopped on a runtime error.
    pub fn save(&self) -> Result<String, PlayError> {
        Ok(self.inner.save()?)
    }

    /// Replaces the game by a save of this story (ink's
    /// `state.LoadJson`); observers stay, and are called for the
    /// variables the load changed. A save of an edited story loads by the
    /// rules of docs/SAVES.md: the notice has a line per thing it lost,
    /// then notes (the story changed, no checksum). A damaged save, or one
    /// of another story or format, is refused and the game is unchanged.
    pub fn load(&mut self, save: &str) -> Result<Option<String>, PlayError> {
        let story = Arc::clone(self.inner.story());
        let externs = self.inner.externs().clone();
        let (loaded, notice) = runtime::Session::load_with(story, save, externs)?;
        self.changing(true, |inner| *inner = loaded);
        Ok(notice)
    }

    /// Binds `extern fn name` to `host` for everything evaluated from now
    /// on (restart, undo and load keep it), and offers the choices again,
    /// since guards may call it. To have the opening text call it too,
    /// bind it before the game starts, with [`Session::start_with`].
    pub fn bind(
        &mut self,
        name: &str,
        host: impl Fn(&[VarValue]) -> Result<VarValue, String> + Send + Sync + 'static,
    ) -> Result<(), PlayError> {
        let (id, wrapped) = super::externs::host_fn(self.inner.story(), name, host)?;
        self.changing(false, |inner| inner.bind(id, wrapped));
        Ok(())
    }
}
