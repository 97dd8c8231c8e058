//! Files a story may touch, read and written safely: stories are untrusted
//! input (`fabula check` runs in CI on strangers' pull requests), so only
//! regular files of bounded size are read, a story's files must resolve to
//! places inside its folder, and output files are replaced atomically and
//! never through a link or over a device (docs/SECURITY.md).

use std::ffi::OsStr;
use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The largest file Fabula reads: offsets into story files are 32-bit, and
/// decoding can triple a file of invalid bytes.
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Why a file was refused; carried inside an [`io::Error`] so every caller
/// reports it like any other I/O failure, while [`is_outside`] can tell the
/// one that is the story's fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A FIFO, device, socket or folder where a file was expected: reading
    /// a FIFO blocks forever, `/dev/zero` never ends.
    #[error("it is not a regular file")]
    NotRegular,
    /// A file over [`MAX_FILE_BYTES`].
    #[error("it is larger than 1 GiB, the most Fabula reads")]
    TooLarge,
    /// A story's file that resolves (through a symbolic link) to a place
    /// outside the story's folder. The place itself is never named.
    #[error("it leads outside the story's folder")]
    Outside,
    /// A path named on the command line with a part that is a symbolic
    /// link to a place outside the folder holding the link.
    #[error("a part of it is a symbolic link leading out of its folder; name the real path")]
    LinkOut,
    /// An output file that is a symbolic link: writing through it would
    /// replace whatever it points at.
    #[error("it is a symbolic link; Fabula does not write through links")]
    Symlink,
}

impl Refusal {
    fn error(self) -> io::Error {
        let kind = match self {
            Refusal::NotRegular | Refusal::Symlink => io::ErrorKind::InvalidInput,
            Refusal::TooLarge => io::ErrorKind::InvalidData,
            Refusal::Outside | Refusal::LinkOut => io::ErrorKind::PermissionDenied,
        };
        io::Error::new(kind, self)
    }
}

/// The refusal an I/O error carries, if it is one.
pub fn refusal(error: &io::Error) -> Option<Refusal> {
    error.get_ref()?.downcast_ref::<Refusal>().copied()
}

/// Whether an error says a story's file leads outside its folder.
pub fn is_outside(error: &io::Error) -> bool {
    refusal(error) == Some(Refusal::Outside)
}

fn check_regular(metadata: &Metadata) -> io::Result<()> {
    if !metadata.is_file() {
        return Err(Refusal::NotRegular.error());
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(Refusal::TooLarge.error());
    }
    Ok(())
}

/// Opens a regular file for reading, refusing anything else. The type is
/// checked on the path first, because opening a FIFO blocks until a writer
/// comes; the file is then opened without blocking and checked again
/// through the handle, in case the path changed in between.
pub fn open_regular(path: &Path) -> io::Result<File> {
    open_checked(path, Links::Follow)
}

/// Whether opening a file follows a symbolic link in its last part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Links {
    Follow,
    /// For a canonical path, whose last part is not a link: if it has
    /// become one since it was resolved, the open fails.
    Refuse,
}

fn open_checked(path: &Path, links: Links) -> io::Result<File> {
    check_regular(&std::fs::metadata(path)?)?;
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = match links {
            Links::Follow => 0,
            Links::Refuse => libc::O_NOFOLLOW,
        };
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | nofollow);
    }
    let file = options.open(path)?;
    check_regular(&file.metadata()?)?;
    Ok(file)
}

/// Reads a whole regular file of at most [`MAX_FILE_BYTES`]. The limit is
/// enforced while reading too: a file that grows (or lies about its size,
/// as files under `/proc` do) stops at the limit.
pub fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    read_opened(open_regular(path)?)
}

/// Reads an opened regular file, up to the limit.
fn read_opened(file: File) -> io::Result<Vec<u8>> {
    let expected = file.metadata().map_or(0, |metadata| metadata.len());
    let mut bytes = Vec::with_capacity(expected.min(MAX_FILE_BYTES) as usize);
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Refusal::TooLarge.error());
    }
    Ok(bytes)
}

/// A story's folder: every file of the story must resolve, symbolic links
/// followed, to a place inside it.
#[derive(Debug, Clone)]
pub struct StoryFolder {
    /// The folder's canonical path.
    root: PathBuf,
}

impl StoryFolder {
    /// The folder `folder` (the current folder when empty).
    pub fn new(folder: &Path) -> io::Result<StoryFolder> {
        let folder = if folder.as_os_str().is_empty() {
            Path::new(".")
        } else {
            folder
        };
        Ok(StoryFolder {
            root: std::fs::canonicalize(folder)?,
        })
    }

    /// The folder holding the entry file `entry`.
    pub fn of_entry(entry: &Path) -> io::Result<StoryFolder> {
        StoryFolder::new(entry.parent().unwrap_or(Path::new("")))
    }

    /// Where `path` really is, if that is inside the folder; a
    /// [`Refusal::Outside`] error if not.
    pub fn resolve(&self, path: &Path) -> io::Result<PathBuf> {
        let canonical = std::fs::canonicalize(path)?;
        if canonical.starts_with(&self.root) {
            Ok(canonical)
        } else {
            Err(Refusal::Outside.error())
        }
    }

    /// Reads one of the story's files: it must resolve to a regular file
    /// inside the folder. The resolved path is opened without following a
    /// link, so one swapped in after resolving is not followed either.
    pub fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        read_opened(open_checked(&self.resolve(path)?, Links::Refuse)?)
    }
}

/// Checks a story path named on the command line (`fabula check stories/`):
/// each part of it that is a symbolic link must lead to a place inside the
/// folder holding the link. A pull request can turn `stories` into a link
/// to `/`; the story folder would then be the whole file system.
pub fn check_named(path: &Path) -> io::Result<()> {
    let mut prefix = PathBuf::new();
    for component in path.components() {
        prefix.push(component);
        if !matches!(component, Component::Normal(_))
            || !std::fs::symlink_metadata(&prefix).is_ok_and(|m| m.file_type().is_symlink())
        {
            continue;
        }
        let holder = match prefix.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        if !std::fs::canonicalize(&prefix)?.starts_with(std::fs::canonicalize(holder)?) {
            return Err(Refusal::LinkOut.error());
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` atomically (see [`write_with`]).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_with(path, |out| out.write_all(bytes))
}

/// Replaces the regular file `path` (or creates it) with what `write`
/// writes, atomically: through a temporary file in the same folder,
/// flushed to disk and renamed over `path`. On any failure `path` is left
/// as it was and the temporary file removed. A symbolic link, a device, a
/// FIFO or a folder at `path` is refused, never replaced. Temporary files
/// a killed process left in the folder are removed first. One process
/// writes one file at a time (the temporary file is named after the
/// process and the file).
pub fn write_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let existing = match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.file_type().is_symlink() => {
            return Err(Refusal::Symlink.error());
        }
        Ok(metadata) if !metadata.is_file() => return Err(Refusal::NotRegular.error()),
        Ok(metadata) => Some(metadata),
        Err(error) if error.kind() == io::ErrorKind::NotFound => None,
        Err(error) => return Err(error),
    };
    let Some(name) = path.file_name() else {
        return Err(Refusal::NotRegular.error());
    };
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    remove_orphans(folder);
    let temporary = folder.join(temporary_name(name));
    // Ours, yet there before we start: left by an earlier process with our
    // PID, killed while writing this very file.
    if std::fs::symlink_metadata(&temporary).is_ok_and(|metadata| metadata.is_file()) {
        let _ = std::fs::remove_file(&temporary);
    }
    let written = (|| {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temporary)?;
        if let Some(existing) = &existing {
            // Keep the replaced file's permissions (a private save stays private).
            file.set_permissions(existing.permissions())?;
        }
        let mut out = BufWriter::new(file);
        write(&mut out)?;
        let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        // Make the rename itself durable where the platform allows.
        if let Ok(folder) = File::open(folder) {
            let _ = folder.sync_all();
        }
        Ok(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

/// Every temporary file ends so; [`remove_orphans`] removes no other file.
const TEMPORARY_SUFFIX: &str = ".fabula-tmp";

/// `.NAME.PID.fabula-tmp`: hidden, and naming its process so another one
/// can tell whether it is still being written.
pub fn temporary_name(name: &OsStr) -> String {
    format!(
        ".{}.{}{TEMPORARY_SUFFIX}",
        name.to_string_lossy(),
        std::process::id()
    )
}

/// Whether a file name is one of [`temporary_name`]'s.
pub fn is_temporary(name: &str) -> bool {
    temporary_pid(name).is_some()
}

/// The process that wrote a temporary file, from its name.
fn temporary_pid(name: &str) -> Option<u32> {
    let stem = name.strip_prefix('.')?.strip_suffix(TEMPORARY_SUFFIX)?;
    let (_, pid) = stem.rsplit_once('.')?;
    pid.parse().ok()
}

/// How old a temporary file must be before it is taken for an orphan where
/// the system cannot say whether its process still runs.
const ORPHAN_AGE: Duration = Duration::from_secs(3600);

/// Removes the temporary files in `folder` whose process is gone: a
/// process killed while writing cannot remove its own.
fn remove_orphans(folder: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    let proc_known = Path::new("/proc/self").exists();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temporary_pid) else {
            continue;
        };
        let Ok(metadata) = entry.metadata() else {
            continue;
        };
        if !metadata.is_file() || pid == std::process::id() {
            continue;
        }
        let orphan = if proc_known {
            !Path::new("/proc").join(pid.to_string()).exists()
        } else {
            metadata
                .modified()
                .ok()
                .and_then(|modified| SystemTime::now().duration_since(modified).ok())
                .is_some_and(|age| age > ORPHAN_AGE)
        };
        if orphan {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    /// A fresh folder for one test.
    fn scratch(name: &str) -> PathBuf {
        let folder =
            std::env::temp_dir().join(format!("fabula-fsio-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        std::fs::create_dir_all(&folder).unwrap();
        folder
    }

    fn names_in(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Regression: a transcript written on a full disk was cut to a 4 KiB
    /// fragment. A write that fails half-way leaves the old file whole.
    #[test]
    fn a_failed_write_leaves_the_old_file_unchanged() {
        let folder = scratch("failed-write");
        let path = folder.join("transcript.txt");
        write_atomically(&path, b"the old transcript\n").unwrap();
        let error = write_with(&path, |out| {
            out.write_all(&[b'x'; 10_000])?;
            Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
        })
        .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::StorageFull);
        assert_eq!(std::fs::read(&path).unwrap(), b"the old transcript\n");
        assert_eq!(names_in(&folder), ["transcript.txt"], "no temporary left");
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn a_write_replaces_the_file_and_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let folder = scratch("replace");
        let path = folder.join("save.ron");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomically(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn links_and_special_files_are_never_replaced() {
        let folder = scratch("special");
        let target = folder.join("target.txt");
        std::fs::write(&target, "keep").unwrap();
        let link = folder.join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let error = write_atomically(&link, b"clobbered").unwrap_err();
        assert_eq!(refusal(&error), Some(Refusal::Symlink));
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        for special in ["/dev/null", "/dev/full"] {
            let error = write_atomically(Path::new(special), b"x").unwrap_err();
            assert_eq!(refusal(&error), Some(Refusal::NotRegular), "{special}");
        }
        let error = write_atomically(&folder, b"x").unwrap_err();
        assert_eq!(refusal(&error), Some(Refusal::NotRegular));
        let _ = std::fs::remove_dir_all(&folder);
    }

    /// Regression: 150 SIGKILLs during saves left 74 temporary files.
    #[test]
    fn the_next_write_removes_temporary_files_of_dead_processes() {
        let folder = scratch("orphans");
        // No process has a PID above the kernel's largest, 2^22.
        let orphan = folder.join(".save.ron.4194305.fabula-tmp");
        std::fs::write(&orphan, "half a save").unwrap();
        // Ours is alive: this process may be writing that file.
        let ours = folder.join(format!(".other.ron.{}.fabula-tmp", std::process::id()));
        std::fs::write(&ours, "being written").unwrap();
        // Ours for this very file, there before the write: left by an
        // earlier process that had our PID.
        let stale = folder.join(format!(".save.ron.{}.fabula-tmp", std::process::id()));
        std::fs::write(&stale, "half a save").unwrap();
        // Not a temporary name: never touched.
        let other = folder.join(".notes.4194305.tmp");
        std::fs::write(&other, "mine").unwrap();
        write_atomically(&folder.join("save.ron"), b"saved").unwrap();
        let ours_name = ours.file_name().unwrap().to_string_lossy().into_owned();
        let mut expected = vec![
            ".notes.4194305.tmp".to_string(),
            ours_name,
            "save.ron".into(),
        ];
        expected.sort();
        assert_eq!(names_in(&folder), expected);
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn temporary_names_name_their_process() {
        let name = temporary_name(OsStr::new("a.b.ron"));
        assert_eq!(temporary_pid(&name), Some(std::process::id()));
        assert!(!is_temporary("save.ron"));
        assert!(!is_temporary(".save.ron.x12.fabula-tmp"));
        assert!(!is_temporary("save.ron.12.fabula-tmp"));
    }

    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        let error = read_regular(Path::new("/dev/zero")).unwrap_err();
        assert_eq!(refusal(&error), Some(Refusal::NotRegular));
        let folder = scratch("read");
        let error = read_regular(&folder).unwrap_err();
        assert_eq!(refusal(&error), Some(Refusal::NotRegular));
        // Sparse: a gibibyte and a byte that takes no room on disk.
        let huge = folder.join("huge.fab");
        File::create(&huge)
            .unwrap()
            .set_len(MAX_FILE_BYTES + 1)
            .unwrap();
        let error = read_regular(&huge).unwrap_err();
        assert_eq!(refusal(&error), Some(Refusal::TooLarge));
        assert_eq!(
            error.to_string(),
            "it is larger than 1 GiB, the most Fabula reads"
        );
        let fifo = folder.join("pipe.fab");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        // Would block forever if it were opened for reading.
        let error = read_regular(&fifo).unwrap_err();
        assert_eq!(refusal(&error), Some(Refusal::NotRegular));
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn named_paths_may_not_link_out_of_their_folder() {
        let folder = scratch("named");
        std::fs::create_dir_all(folder.join("real/act")).unwrap();
        std::os::unix::fs::symlink("real", folder.join("inside")).unwrap();
        std::os::unix::fs::symlink("/", folder.join("root")).unwrap();
        assert!(check_named(&folder.join("inside/act")).is_ok());
        assert!(check_named(&folder.join("real/act/")).is_ok());
        for named in ["root", "root/", "root/tmp", "inside/../root/etc"] {
            let error = check_named(&folder.join(named)).unwrap_err();
            assert_eq!(refusal(&error), Some(Refusal::LinkOut), "{named}");
        }
        let _ = std::fs::remove_dir_all(&folder);
    }

    #[test]
    fn a_story_folder_refuses_links_leading_out_of_it() {
        let folder = scratch("story");
        std::fs::create_dir_all(folder.join("act")).unwrap();
        std::fs::write(folder.join("act/one.fab"), "== one\n").unwrap();
        std::os::unix::fs::symlink("act/one.fab", folder.join("inside.fab")).unwrap();
        let elsewhere = scratch("story-elsewhere");
        std::fs::write(elsewhere.join("secret.fab"), "secret").unwrap();
        std::os::unix::fs::symlink(elsewhere.join("secret.fab"), folder.join("outside.fab"))
            .unwrap();
        let story = StoryFolder::new(&folder).unwrap();
        assert_eq!(story.read(&folder.join("inside.fab")).unwrap(), b"== one\n");
        let error = story.read(&folder.join("outside.fab")).unwrap_err();
        assert!(is_outside(&error));
        assert_eq!(error.to_string(), "it leads outside the story's folder");
        let act = StoryFolder::new(&folder.join("act")).unwrap();
        std::fs::write(folder.join("top.fab"), "== top\n").unwrap();
        std::os::unix::fs::symlink("../top.fab", folder.join("act/up.fab")).unwrap();
        assert!(is_outside(
            &act.read(&folder.join("act/up.fab")).unwrap_err()
        ));
        let _ = std::fs::remove_dir_all(&folder);
        let _ = std::fs::remove_dir_all(&elsewhere);
    }
}
