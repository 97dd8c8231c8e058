//! [`Session`]: a game for embedding, with text, numbered choices, endings,
//! a transcript, undo and saves.
//!
//! Undo replays the game from its seed and choice history instead of keeping
//! a snapshot per turn: the runtime is deterministic, a replay costs
//! microseconds per choice, and the history alone is small enough to save,
//! so undo (and the transcript) survive a save and a load.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::graph::{SceneId, Story, Tag, Value, VarId};

use super::savefile::{self, SaveError};
use super::{ChooseError, Externs, HostFn, Machine, Output, PageText, Pause, RuntimeError, State};

/// Something that happened in the game, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The story entered a scene (at the start and at every divert).
    Scene {
        /// The scene entered.
        scene: SceneId,
        /// Its title, when it has one.
        title: Option<String>,
        /// Whether it is an ending.
        is_ending: bool,
    },
    /// A paragraph of text.
    Paragraph {
        /// The text, markup evaluated.
        text: String,
        /// The tags written on its lines.
        tags: Vec<Tag>,
    },
    /// The player chose this.
    Chose {
        /// The choice's text, as shown.
        text: String,
    },
}

/// A choice as shown to the player.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceView {
    /// Its position in [`Status::Choosing`], what [`Session::choose`] takes.
    pub index: usize,
    /// The text, markup evaluated.
    pub text: String,
    /// Whether it can be chosen: `false` for a `[requires …]` that does not hold.
    pub enabled: bool,
    /// Why a disabled choice is disabled.
    pub reason: Option<String>,
    /// Tags written at the end of the choice's line.
    pub tags: Vec<Tag>,
    /// Its index in the story's choice block.
    pub choice: u32,
}

/// The ending a game reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ending {
    /// The ending's scene.
    pub scene: SceneId,
    /// Its name: `winter` for `== ending winter: A Quiet Winter`.
    pub name: String,
    /// Its title, when it has one: `A Quiet Winter`.
    pub title: Option<String>,
    /// 1-based position among [`Story::endings`].
    pub number: usize,
    /// How many endings the story has.
    pub of: usize,
}

/// Where a game stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Waiting for a choice; at least one is enabled.
    Choosing(Vec<ChoiceView>),
    /// The story reached an ending.
    Ended(Ending),
    /// Stopped on a runtime error; undo, restart or load to go on.
    Failed(RuntimeError),
}

/// Why undo did nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UndoError {
    /// No choice made since the game started, or since a change from
    /// outside the story (a variable set, a jump), which undo does not go
    /// back past.
    #[error("there is nothing to undo")]
    AtStart,
    /// Replaying the history failed: only after loading a save of an edited story.
    #[error("cannot undo: replaying the game's history failed ({0})")]
    Replay(String),
}

/// A game of one story.
#[derive(Debug)]
pub struct Session {
    story: Arc<Story>,
    machine: Machine,
    state: State,
    seed: u64,
    /// Where [`Session::history`] starts when it is not the story's start:
    /// the state a game embedding the story last changed from outside
    /// (see [`Session::set_var`], [`Session::jump`]).
    base: Option<Box<State>>,
    history: Vec<u32>,
    transcript: Vec<Event>,
    /// Where the events not yet returned by [`Session::take_new`] start.
    unread: usize,
    status: Status,
}

/// Collects a run's text into the transcript.
struct Recorder<'a> {
    story: &'a Story,
    events: &'a mut Vec<Event>,
}

impl Output for Recorder<'_> {
    fn paragraph(&mut self, text: &str, tags: &[Tag]) {
        self.events.push(Event::Paragraph {
            text: text.to_string(),
            tags: tags.to_vec(),
        });
    }

    fn enter(&mut self, scene: SceneId) {
        self.events.push(scene_event(self.story, scene));
    }
}

fn scene_event(story: &Story, scene: SceneId) -> Event {
    let found = story.scenes.get(scene.index());
    Event::Scene {
        scene,
        title: found.and_then(|found| found.title.clone()),
        is_ending: found.is_some_and(|found| found.is_ending),
    }
}

impl Session {
    /// Starts a game and runs it to the first choice (or ending, or error).
    pub fn start(story: Arc<Story>, seed: u64) -> Session {
        Session::start_with(story, seed, Externs::default())
    }

    /// Starts a game whose `extern fn`s call the host's implementations
    /// in `externs` (the others run their default bodies).
    pub fn start_with(story: Arc<Story>, seed: u64, externs: Externs) -> Session {
        let state = State::new(&story, seed);
        let transcript = vec![scene_event(&story, story.start)];
        let mut session = Session {
            story,
            machine: Machine::with_externs(externs),
            state,
            seed,
            base: None,
            history: Vec::new(),
            transcript,
            unread: 0,
            status: Status::Failed(RuntimeError {
                kind: super::RuntimeErrorKind::Malformed("not started"),
                scene: String::new(),
                span: None,
                location: None,
            }),
        };
        session.advance();
        session
    }

    /// Runs to the next pause and works out the status.
    fn advance(&mut self) {
        let story = Arc::clone(&self.story);
        let mut recorder = Recorder {
            story: &story,
            events: &mut self.transcript,
        };
        let offers = match self.machine.run(&story, &mut self.state, &mut recorder) {
            Ok(Pause::Choices(offers)) => offers.to_vec(),
            Ok(Pause::Ending(scene)) => {
                let number = story
                    .endings()
                    .position(|id| id == scene)
                    .map_or(0, |n| n + 1);
                let found = story.scenes.get(scene.index());
                self.status = Status::Ended(Ending {
                    scene,
                    name: found.map(|s| s.name.clone()).unwrap_or_default(),
                    title: found.and_then(|s| s.title.clone()),
                    number,
                    of: story.endings().count(),
                });
                return;
            }
            Err(error) => {
                self.status = Status::Failed(error);
                return;
            }
        };
        let Some(choices) = story.choice_block(self.state.scene, self.state.pc) else {
            return;
        };
        let mut views = Vec::with_capacity(offers.len());
        for (index, offer) in offers.iter().enumerate() {
            let text = match self
                .machine
                .choice_text(&story, &self.state, offer.choice as usize)
            {
                Ok(text) => text,
                Err(error) => {
                    self.status = Status::Failed(error);
                    return;
                }
            };
            let choice = &choices[offer.choice as usize];
            let reason = match (choice.guard.requires(), offer.enabled) {
                (Some((_, reason)), false) => Some(self.story.text(reason).to_string()),
                _ => None,
            };
            views.push(ChoiceView {
                index,
                text,
                enabled: offer.enabled,
                reason,
                tags: choice.tags.to_vec(),
                choice: offer.choice,
            });
        }
        self.status = Status::Choosing(views);
    }

    /// The story this game plays.
    pub fn story(&self) -> &Arc<Story> {
        &self.story
    }

    /// Where the game stands: choosing, ended or failed.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// The choices on offer, empty unless [`Status::Choosing`].
    pub fn choices(&self) -> &[ChoiceView] {
        match &self.status {
            Status::Choosing(choices) => choices,
            _ => &[],
        }
    }

    /// The ending reached, once the story has ended.
    pub fn ending(&self) -> Option<&Ending> {
        match &self.status {
            Status::Ended(ending) => Some(ending),
            _ => None,
        }
    }

    /// The runtime error the game stopped on, if it did.
    pub fn error(&self) -> Option<&RuntimeError> {
        match &self.status {
            Status::Failed(error) => Some(error),
            _ => None,
        }
    }

    /// The events since the last call: the text to show now.
    pub fn take_new(&mut self) -> &[Event] {
        let start = self.unread.min(self.transcript.len());
        self.unread = self.transcript.len();
        &self.transcript[start..]
    }

    /// Everything that happened since the start.
    pub fn transcript(&self) -> &[Event] {
        &self.transcript
    }

    /// The transcript as plain text: scene titles, paragraphs and `> choice`
    /// lines, separated by blank lines.
    pub fn transcript_text(&self) -> String {
        let mut text = String::new();
        for event in &self.transcript {
            match event {
                Event::Scene {
                    title: Some(title),
                    is_ending: false,
                    ..
                } => {
                    let _ = writeln!(text, "{title}\n");
                }
                Event::Scene { .. } => {}
                Event::Paragraph { text: line, .. } => {
                    let _ = writeln!(text, "{line}\n");
                }
                Event::Chose { text: choice } => {
                    let _ = writeln!(text, "> {choice}\n");
                }
            }
        }
        if let Status::Ended(ending) = &self.status {
            let _ = writeln!(text, "{}", ending_line(ending));
        }
        text
    }

    /// Takes the choice at `index` of [`Session::choices`] and runs on.
    /// A disabled choice is refused with its reason; nothing changes.
    pub fn choose(&mut self, index: usize) -> Result<(), ChooseError> {
        let Status::Choosing(choices) = &self.status else {
            return Err(ChooseError::NotAtChoices);
        };
        let view = choices.get(index).ok_or(ChooseError::NoSuchChoice(index))?;
        if let Some(reason) = &view.reason {
            return Err(ChooseError::Disabled(reason.clone()));
        }
        let (choice, text) = (view.choice, view.text.clone());
        self.machine
            .choose(&self.story, &mut self.state, choice as usize)?;
        self.history.push(choice);
        self.transcript.push(Event::Chose { text });
        self.unread = self.transcript.len();
        self.advance();
        Ok(())
    }

    /// Replays a game from its seed (or from `base`, a state changed from
    /// outside) through `history`.
    fn replay(
        story: Arc<Story>,
        seed: u64,
        base: Option<&State>,
        history: &[u32],
        externs: &Externs,
    ) -> Result<Session, String> {
        let mut session = match base {
            None => Session::start_with(story, seed, externs.clone()),
            Some(base) => {
                let mut session = Session {
                    transcript: vec![scene_event(&story, base.scene)],
                    story,
                    machine: Machine::with_externs(externs.clone()),
                    state: base.clone(),
                    seed,
                    base: Some(Box::new(base.clone())),
                    history: Vec::new(),
                    unread: 0,
                    status: Status::Choosing(Vec::new()),
                };
                session.advance();
                session
            }
        };
        for &choice in history {
            let index = session
                .choices()
                .iter()
                .position(|view| view.choice == choice)
                .ok_or_else(|| format!("choice {choice} is not on offer"))?;
            session.choose(index).map_err(|error| error.to_string())?;
        }
        Ok(session)
    }

    /// Takes back the last choice, back to the start if repeated.
    pub fn undo(&mut self) -> Result<(), UndoError> {
        let Some((_, earlier)) = self.history.split_last() else {
            return Err(UndoError::AtStart);
        };
        let base = self.base.as_deref();
        let externs = self.machine.externs();
        let mut replayed =
            Session::replay(Arc::clone(&self.story), self.seed, base, earlier, externs)
                .map_err(UndoError::Replay)?;
        replayed.unread = last_choice_end(&replayed.transcript);
        *self = replayed;
        Ok(())
    }

    /// Sets a variable from outside the story (a game embedding it), then
    /// offers the choices again, since guards may read it. False, changing
    /// nothing, when there is no such variable or the value has another
    /// type. Undo does not go back past it, and a save holds no history
    /// from before it.
    pub fn set_var(&mut self, var: VarId, value: Value) -> bool {
        let Some(slot) = self.state.vars.get_mut(var.index()) else {
            return false;
        };
        if std::mem::discriminant(slot) != std::mem::discriminant(&value) {
            return false;
        }
        *slot = value;
        self.rebase();
        self.advance();
        true
    }

    /// Goes to the start of `scene` from outside the story (a game
    /// embedding it), as a divert would, counting a visit, and runs on.
    /// False, changing nothing, when there is no such scene. Undo does not
    /// go back past it, and a save holds no history from before it.
    pub fn jump(&mut self, scene: SceneId) -> bool {
        if self
            .story
            .scenes
            .get(scene.index())
            .is_some_and(|found| found.is_page)
        {
            // A page is opened with `page`, never entered.
            return false;
        }
        let Some(visits) = self.state.visits.get_mut(scene.index()) else {
            return false;
        };
        *visits = visits.saturating_add(1);
        self.state.scene = scene;
        self.state.pc = 0;
        // As a divert: the tunnel calls under way are abandoned.
        self.state.calls.clear();
        self.state.locals = super::fresh_locals(&self.story, scene);
        self.transcript.push(scene_event(&self.story, scene));
        self.rebase();
        self.advance();
        true
    }

    /// The page `id` as it reads now: its paragraphs and their tags.
    /// Opening a page changes nothing (no turn, no visit, no sequence
    /// step, nothing in the transcript or the history); see
    /// [`Machine::page`]. `None` when the story has no page `id`.
    pub fn page(&mut self, id: &str) -> Option<Result<PageText, RuntimeError>> {
        let scene = self.story.scene_by_name(id)?;
        self.machine.page(&self.story, &self.state, scene)
    }

    /// A change made from outside the story is not a choice, so replaying
    /// the history from the seed would not reach it: undo replays from the
    /// changed state instead and stops there, and a save holds no history
    /// (it loads by its state).
    fn rebase(&mut self) {
        self.base = Some(Box::new(self.state.clone()));
        self.history.clear();
    }

    /// Starts again from the beginning with a new seed.
    pub fn restart(&mut self, seed: u64) {
        let externs = self.machine.externs().clone();
        *self = Session::start_with(Arc::clone(&self.story), seed, externs);
    }

    /// Binds an `extern fn` to the host's implementation for everything
    /// evaluated from now on (restart, undo and load keep it), and offers
    /// the choices again, since guards may call it.
    pub fn bind(&mut self, function: crate::graph::FnId, host: HostFn) {
        let mut externs = self.machine.externs().clone();
        externs.bind(function, host);
        self.machine = Machine::with_externs(externs);
        self.advance();
    }

    /// The host's implementations this game calls.
    pub fn externs(&self) -> &Externs {
        self.machine.externs()
    }

    /// Everything that changes as the game is played: the state a save
    /// holds, and what the explorer searches over.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The seed the game started with: with the choices made, it decides
    /// every random draw.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The choices made so far, as indices into each choice block.
    pub fn history(&self) -> &[u32] {
        &self.history
    }

    /// The game as a RON save.
    pub fn save(&self) -> Result<String, SaveError> {
        if let Status::Failed(error) = &self.status {
            return Err(SaveError::NotSaveable(format!(
                "the game stopped on an error ({error}); undo or restart first"
            )));
        }
        // After a change from outside the story the history starts from
        // that change, which a save cannot hold; without it, the save loads
        // by its state and undo stops there.
        let history: &[u32] = match self.base {
            Some(_) => &[],
            None => &self.history,
        };
        let save = savefile::to_save(&self.story, &self.state, self.seed, history);
        Ok(savefile::to_ron(&save))
    }

    /// Loads a RON save of this story. Returns the game and, when the save
    /// lost something or the story changed since it, a notice: one line
    /// per loss (see [`Session::load_reporting`]), then the notes.
    pub fn load(story: Arc<Story>, text: &str) -> Result<(Session, Option<String>), SaveError> {
        Session::load_with(story, text, Externs::default())
    }

    /// [`Session::load`] for a game whose externs call `externs`.
    pub fn load_with(
        story: Arc<Story>,
        text: &str,
        externs: Externs,
    ) -> Result<(Session, Option<String>), SaveError> {
        let (session, report) = Session::load_reporting_with(story, text, externs)?;
        Ok((session, report.notice()))
    }

    /// Loads a RON save of this story (of this version or an earlier one,
    /// by the rules of docs/SAVES.md), saying what it lost. Undo goes back
    /// through the saved choices when they replay to the saved game; when
    /// they do not (the story changed under them), they are dropped, with a
    /// loss saying so, and undo stops at the loaded game.
    pub fn load_reporting(
        story: Arc<Story>,
        text: &str,
    ) -> Result<(Session, LoadReport), SaveError> {
        Session::load_reporting_with(story, text, Externs::default())
    }

    /// [`Session::load_reporting`] for a game whose externs call `externs`.
    pub fn load_reporting_with(
        story: Arc<Story>,
        text: &str,
        externs: Externs,
    ) -> Result<(Session, LoadReport), SaveError> {
        let save = savefile::parse(&story, text)?;
        let savefile::Restored {
            state,
            mut losses,
            notes,
            unknown_position,
        } = savefile::restore(&story, &save)?;
        // The transcript comes from replaying the history; it is only
        // trusted when the replay lands on exactly the saved state. For a
        // save that cannot say where in its scene it was (format 1 of an
        // edited story), a replay that lands in that scene with everything
        // else equal says where.
        if let Ok(mut replayed) =
            Session::replay(Arc::clone(&story), save.seed, None, &save.history, &externs)
        {
            let mut placed = state.clone();
            if unknown_position.is_some() && replayed.state.scene == state.scene {
                placed.pc = replayed.state.pc;
            }
            if replayed.state == placed {
                replayed.unread = last_choice_end(&replayed.transcript);
                return Ok((replayed, LoadReport { losses, notes }));
            }
        }
        losses.extend(unknown_position);
        if !save.history.is_empty() {
            losses.push(
                "undo cannot go back before this point: the choices made before no longer replay in this version of the story"
                    .to_string(),
            );
        }
        let mut session = Session {
            transcript: vec![scene_event(&story, state.scene)],
            story,
            machine: Machine::with_externs(externs),
            // A game that does not replay to its state (changed from
            // outside the story, or saved from another version): undo
            // stops here.
            base: Some(Box::new(state.clone())),
            state,
            seed: save.seed,
            history: Vec::new(),
            unread: 0,
            status: Status::Choosing(Vec::new()),
        };
        session.advance();
        Ok((session, LoadReport { losses, notes }))
    }
}

/// What loading a save said, a line each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadReport {
    /// What the save held that this version of the story cannot keep
    /// (docs/SAVES.md); empty when it loaded intact.
    pub losses: Vec<String>,
    /// What is worth knowing but loses nothing: the story changed, the
    /// save has no checksum.
    pub notes: Vec<String>,
}

impl LoadReport {
    /// The losses, then the notes, a line each; `None` when there are none.
    pub fn notice(&self) -> Option<String> {
        let lines: Vec<&str> = self
            .losses
            .iter()
            .chain(&self.notes)
            .map(String::as_str)
            .collect();
        (!lines.is_empty()).then(|| lines.join("\n"))
    }
}

/// Where the text after the last choice starts: what to show again after an
/// undo or a load.
fn last_choice_end(transcript: &[Event]) -> usize {
    transcript
        .iter()
        .rposition(|event| matches!(event, Event::Chose { .. }))
        .map_or(0, |index| index + 1)
}

/// `THE END: Title (ending 2 of 3)`.
pub fn ending_line(ending: &Ending) -> String {
    let title = ending.title.as_deref().unwrap_or(&ending.name);
    format!(
        "THE END: {title} (ending {} of {})",
        ending.number, ending.of
    )
}
