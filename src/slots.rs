//! Save slots on disk: one RON file per slot in a story's folder under the
//! user's data folder, written atomically so a failed save never damages
//! the slot it was replacing ([`crate::fsio`]).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::fsio;
use crate::runtime::savefile::SaveError;

/// Why a slot could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SlotError {
    /// `save ../x`: slot names are letters, digits, `-` and `_`. The name
    /// is not quoted: it may be anything the player typed.
    #[error("a slot name can only have letters, digits, `-` and `_`, and this one has {0:?}")]
    BadCharacter(char),
    /// `save` with a name of 65 bytes or more.
    #[error("a slot name can be at most {max} characters long, and this one has {0}", max = MAX_SLOT_NAME)]
    TooLong(usize),
    /// A slot name that is empty.
    #[error("a slot name cannot be empty")]
    EmptyName,
    /// No data folder: neither `$XDG_DATA_HOME` nor `$HOME` is set.
    #[error("cannot find a folder for saves: set HOME or XDG_DATA_HOME, or pass --save-dir")]
    NoDataDir,
    /// Reading a slot that holds no save (the slot's name).
    #[error("there is no save in slot `{0}`")]
    Missing(String),
    /// Reading, writing, listing or removing a slot's file failed.
    #[error("cannot {action} `{path}`: {source}")]
    Io {
        /// What was being done: `read`, `write`, `remove`…
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// Why it failed.
        source: std::io::Error,
    },
}

/// The longest slot name, in bytes (all ASCII).
pub const MAX_SLOT_NAME: usize = 64;

/// The slot the player writes after every choice at a terminal, so a game
/// closed in any way is continued next time.
pub const AUTOSAVE: &str = "autosave";

/// The user's data folder, by the XDG rules: `$XDG_DATA_HOME` when it is an
/// absolute path, else `~/.local/share`; `%APPDATA%` on Windows.
pub fn data_dir() -> Option<PathBuf> {
    let absolute = |name: &str| {
        std::env::var_os(name)
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    };
    if cfg!(windows) {
        return absolute("APPDATA");
    }
    absolute("XDG_DATA_HOME").or_else(|| absolute("HOME").map(|home| home.join(".local/share")))
}

/// A folder name for a story: its title in lowercase ASCII letters and
/// digits joined by `-` (`The Rise of Stalin` → `the-rise-of-stalin`).
pub fn slug(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "story".to_string()
    } else {
        slug.to_string()
    }
}

/// One slot as listed.
#[derive(Debug, Clone)]
pub struct SlotInfo {
    /// The slot's name, what `save` and `load` take.
    pub name: String,
    /// Its file.
    pub path: PathBuf,
    /// When it was last written, when the file system says.
    pub modified: Option<SystemTime>,
}

/// The save slots of one story.
#[derive(Debug, Clone)]
pub struct Slots {
    dir: PathBuf,
}

impl Slots {
    /// The slots in `dir` itself.
    pub fn in_dir(dir: impl Into<PathBuf>) -> Slots {
        Slots { dir: dir.into() }
    }

    /// A story's slots: `save_dir` when given, else
    /// `<data dir>/fabula/saves/<story slug>/`.
    pub fn for_story(title: &str, save_dir: Option<&Path>) -> Result<Slots, SlotError> {
        match save_dir {
            Some(dir) => Ok(Slots::in_dir(dir)),
            None => {
                let data = data_dir().ok_or(SlotError::NoDataDir)?;
                Ok(Slots::in_dir(
                    data.join("fabula").join("saves").join(slug(title)),
                ))
            }
        }
    }

    /// The folder the slots are files in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file of a slot, after checking its name: the characters first,
    /// so the reason given is the one to fix.
    pub fn path(&self, slot: &str) -> Result<PathBuf, SlotError> {
        if let Some(bad) = slot
            .chars()
            .find(|&c| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            return Err(SlotError::BadCharacter(bad));
        }
        if slot.is_empty() {
            return Err(SlotError::EmptyName);
        }
        if slot.len() > MAX_SLOT_NAME {
            return Err(SlotError::TooLong(slot.len()));
        }
        Ok(self.dir.join(format!("{slot}.ron")))
    }

    /// Removes a slot; a missing one is no error.
    pub fn remove(&self, slot: &str) -> Result<(), SlotError> {
        let path = self.path(slot)?;
        match std::fs::remove_file(&path) {
            Err(source) if source.kind() != std::io::ErrorKind::NotFound => Err(SlotError::Io {
                action: "remove",
                path,
                source,
            }),
            _ => Ok(()),
        }
    }

    /// Writes a slot atomically: a temporary file in the same folder,
    /// flushed to disk, then renamed over the slot. On any failure the old
    /// slot is untouched and the temporary file removed.
    pub fn write(&self, slot: &str, text: &str) -> Result<PathBuf, SlotError> {
        let path = self.path(slot)?;
        write_atomically(&self.dir, &path, text)?;
        Ok(path)
    }

    /// The record of the endings found in this story, kept beside its
    /// saves (not a slot: it is not a `.ron` file).
    pub fn found_endings(&self) -> FoundEndings {
        FoundEndings {
            dir: self.dir.clone(),
            path: self.dir.join("endings-found.txt"),
        }
    }

    /// The record of the paragraphs read in this story, kept beside its
    /// saves (not a slot).
    pub fn seen_text(&self) -> SeenText {
        SeenText::open(&self.dir)
    }

    /// Reads a slot's text: a regular file (a FIFO would block forever) of
    /// at most 1 GiB.
    pub fn read(&self, slot: &str) -> Result<String, SlotError> {
        let path = self.path(slot)?;
        read_text(&path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                SlotError::Missing(slot.to_string())
            } else {
                SlotError::Io {
                    action: "read",
                    path,
                    source,
                }
            }
        })
    }

    /// Every slot, newest first: the regular `.ron` files with a slot's name
    /// (links followed). A missing folder has no slots; a save being
    /// written, or left half-written by a killed process, is not one.
    pub fn list(&self) -> Result<Vec<SlotInfo>, SlotError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => {
                return Err(SlotError::Io {
                    action: "read",
                    path: self.dir.clone(),
                    source,
                });
            }
        };
        let mut slots = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(name) = path
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| name.strip_suffix(".ron"))
            else {
                continue;
            };
            if name.starts_with('.') || self.path(name).is_err() {
                continue;
            }
            // Listing reads each slot: a FIFO there would hang the player.
            let Ok(metadata) = std::fs::metadata(&path) else {
                continue;
            };
            if !metadata.is_file() {
                continue;
            }
            let modified = metadata.modified().ok();
            slots.push(SlotInfo {
                name: name.to_string(),
                path,
                modified,
            });
        }
        slots.sort_by(|a, b| b.modified.cmp(&a.modified).then(a.name.cmp(&b.name)));
        Ok(slots)
    }

    /// The most recently written slot.
    pub fn latest(&self) -> Result<Option<String>, SlotError> {
        Ok(self.list()?.into_iter().next().map(|slot| slot.name))
    }
}

/// Writes `text` to `path` in `dir` (created if need be) through
/// [`fsio::write_atomically`]: `path` is never left half-written, never a
/// link written through, and on failure the old file is untouched.
fn write_atomically(dir: &Path, path: &Path, text: &str) -> Result<(), SlotError> {
    let io = |action, path: &Path| {
        let path = path.to_path_buf();
        move |source| SlotError::Io {
            action,
            path,
            source,
        }
    };
    std::fs::create_dir_all(dir).map_err(io("create", dir))?;
    fsio::write_atomically(path, text.as_bytes()).map_err(io("write", path))
}

/// A regular file's text, by [`fsio::read_regular`]. Invalid UTF-8 is an
/// error that does not quote the file.
fn read_text(path: &Path) -> std::io::Result<String> {
    String::from_utf8(fsio::read_regular(path)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "it is not UTF-8 text"))
}

/// Why a slot could not be loaded, as the player says it. It never quotes
/// the file: a slot may be anything (a link to `/etc/passwd`), and the RON
/// parser's message names what it found. A file that parsed as a save of
/// this story and format is one; naming what it holds that the story lacks
/// helps the player.
pub fn load_error(slot: &str, error: &SaveError) -> String {
    let why = match error {
        SaveError::Corrupt { line, column, .. } => {
            format!("it is not a valid save (line {line}, column {column})")
        }
        SaveError::ForeignStory { expected, .. } => {
            format!("the save is from another story, not `{expected}`")
        }
        other => other.to_string(),
    };
    format!("Cannot load slot `{slot}`: {why}.")
}

/// The endings a player has found in one story: their ids, one a line, in
/// a text file beside the story's saves.
#[derive(Debug, Clone)]
pub struct FoundEndings {
    dir: PathBuf,
    path: PathBuf,
}

impl FoundEndings {
    /// The ids recorded so far; none when there is no record yet, or it
    /// cannot be read (a lost record only hides what was found).
    pub fn read(&self) -> std::collections::BTreeSet<String> {
        read_text(&self.path)
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// Records `ending` as found (atomically) and returns every id found.
    pub fn add(&self, ending: &str) -> Result<std::collections::BTreeSet<String>, SlotError> {
        let mut found = self.read();
        if found.insert(ending.to_string()) {
            let text: String = found.iter().map(|id| format!("{id}\n")).collect();
            write_atomically(&self.dir, &self.path, &text)?;
        }
        Ok(found)
    }
}

/// The paragraphs a player has read in one story, for showing them dimmed
/// when met again: a 64-bit hash of each paragraph's text (so the record
/// holds no prose and stays small), one a line in hexadecimal, oldest first,
/// in a text file beside the story's saves. It keeps at most
/// [`SeenText::CAPACITY`] hashes, dropping the oldest.
#[derive(Debug, Clone)]
pub struct SeenText {
    dir: PathBuf,
    path: PathBuf,
    /// In the order first read.
    order: Vec<u64>,
    known: std::collections::HashSet<u64>,
    /// Whether `order` has hashes not written yet.
    changed: bool,
}

impl SeenText {
    /// The most hashes kept: some 1.1 MB on disk, far more paragraphs than
    /// the bundled story has.
    pub const CAPACITY: usize = 65_536;

    /// Reads the record of the slots in `dir`; an unreadable record is
    /// an empty one (losing it only undims text).
    fn open(dir: &Path) -> SeenText {
        let path = dir.join("seen-text.txt");
        let text = read_text(&path).unwrap_or_default();
        let mut seen = SeenText {
            dir: dir.to_path_buf(),
            path,
            order: Vec::new(),
            known: Default::default(),
            changed: false,
        };
        let hashes: Vec<u64> = text
            .lines()
            .filter_map(|line| u64::from_str_radix(line.trim(), 16).ok())
            .collect();
        // Only the newest are kept: a huge record costs one pass, not one
        // eviction per line.
        let newest = hashes.len().saturating_sub(Self::CAPACITY);
        for &hash in &hashes[newest..] {
            seen.insert(hash);
        }
        seen.changed = false;
        seen
    }

    /// The hash a paragraph is remembered by: 64-bit FNV-1a, stable across
    /// builds and platforms (std's hasher is not).
    pub fn hash(text: &str) -> u64 {
        text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        })
    }

    /// Whether a paragraph with this hash has been met.
    pub fn contains(&self, hash: u64) -> bool {
        self.known.contains(&hash)
    }

    /// Remembers a paragraph's hash.
    pub fn insert(&mut self, hash: u64) {
        if self.known.insert(hash) {
            self.order.push(hash);
            self.changed = true;
            if self.order.len() > Self::CAPACITY {
                let excess = self.order.len() - Self::CAPACITY;
                for old in self.order.drain(..excess) {
                    self.known.remove(&old);
                }
            }
        }
    }

    /// How many hashes are kept.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether none are kept.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Writes the record atomically, if anything was added.
    pub fn write(&mut self) -> Result<(), SlotError> {
        if !self.changed {
            return Ok(());
        }
        let text: String = self
            .order
            .iter()
            .map(|hash| format!("{hash:016x}\n"))
            .collect();
        write_atomically(&self.dir, &self.path, &text)?;
        self.changed = false;
        Ok(())
    }
}

/// `2026-11-27 03:08 UTC`: a time for a slot listing, without a date crate.
pub fn format_time(time: SystemTime) -> String {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64);
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn slugs_and_names() {
        assert_eq!(slug("The Rise of Stalin"), "the-rise-of-stalin");
        assert_eq!(slug("  Ünïcode!! 2 "), "n-code-2");
        assert_eq!(slug("???"), "story");
        let slots = Slots::in_dir("/tmp/x");
        assert_eq!(
            slots.path("../etc").unwrap_err().to_string(),
            "a slot name can only have letters, digits, `-` and `_`, and this one has '.'"
        );
        assert_eq!(
            slots.path(&"a".repeat(65)).unwrap_err().to_string(),
            "a slot name can be at most 64 characters long, and this one has 65"
        );
        assert!(slots.path("").is_err());
        assert!(slots.path("quick_1-a").is_ok());
    }

    #[test]
    fn found_endings_are_recorded_once_each_and_are_not_slots() {
        let dir = std::env::temp_dir().join(format!("fabula-found-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let slots = Slots::in_dir(&dir);
        let found = slots.found_endings();
        assert!(found.read().is_empty());
        found.add("vozhd").unwrap();
        found.add("exile").unwrap();
        let all = found.add("vozhd").unwrap();
        assert_eq!(all.into_iter().collect::<Vec<_>>(), ["exile", "vozhd"]);
        assert_eq!(
            std::fs::read_to_string(dir.join("endings-found.txt")).unwrap(),
            "exile\nvozhd\n"
        );
        assert!(slots.list().unwrap().is_empty(), "the record is not a save");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn seen_text_is_kept_bounded_and_survives_a_reopening() {
        let dir = std::env::temp_dir().join(format!("fabula-seen-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let slots = Slots::in_dir(&dir);
        let mut seen = slots.seen_text();
        assert!(seen.is_empty());
        for hash in 0..SeenText::CAPACITY as u64 + 10 {
            seen.insert(hash);
        }
        assert_eq!(seen.len(), SeenText::CAPACITY);
        assert!(!seen.contains(9), "the oldest are dropped");
        assert!(seen.contains(10));
        seen.write().unwrap();
        let reopened = slots.seen_text();
        assert_eq!(reopened.len(), SeenText::CAPACITY);
        assert!(reopened.contains(SeenText::CAPACITY as u64 + 9));
        assert_ne!(SeenText::hash("a"), SeenText::hash("b"));
        assert!(slots.list().unwrap().is_empty(), "the record is not a save");
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Regression: a slot linked to `/etc/passwd` showed its first word,
    /// quoted by the RON parser's message.
    #[test]
    fn load_errors_do_not_quote_the_save() {
        let corrupt = SaveError::Corrupt {
            line: 1,
            column: 1,
            message: "Expected struct `Header` but found `root`".into(),
        };
        assert_eq!(
            load_error("evil", &corrupt),
            "Cannot load slot `evil`: it is not a valid save (line 1, column 1)."
        );
        let foreign = SaveError::ForeignStory {
            found: "root:x:0:0".into(),
            expected: "Gorki".into(),
        };
        assert_eq!(
            load_error("evil", &foreign),
            "Cannot load slot `evil`: the save is from another story, not `Gorki`."
        );
    }

    #[test]
    fn times_are_civil_utc() {
        assert_eq!(format_time(SystemTime::UNIX_EPOCH), "1970-01-01 00:00 UTC");
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(1_709_210_096);
        assert_eq!(format_time(time), "2024-02-29 12:34 UTC");
    }
}
