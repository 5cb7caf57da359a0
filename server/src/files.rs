//! File-system IO shared by the server and `driftls check`: walking a directory for the files
//! driftls reads (honouring `.gitignore`), loading them into the workspace, and checking the
//! paths compose files reference. Analysis itself never touches the disk.

use std::path::{Path, PathBuf};

use crate::analysis::workspace::{SourceFile, Workspace};
use crate::syntax::file_kind::FileKind;

/// Files larger than this are not read into the workspace.
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;
/// At most this many files are read by a workspace scan.
pub const MAX_FILES: usize = 50_000;

/// Files below `dir` that driftls reads, with their kind, sorted. `.git` is skipped and
/// `.gitignore` honoured (also outside a git repository).
pub fn walk(dir: &Path, errors: &mut Vec<String>) -> Vec<(PathBuf, FileKind)> {
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git" && e.file_name() != "node_modules")
        .build();
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                let kind = FileKind::detect(e.path(), None);
                if kind.is_relevant() {
                    out.push((e.into_path(), kind));
                    if out.len() >= MAX_FILES {
                        errors.push(format!("{}: more than {MAX_FILES} files; the rest are not read", dir.display()));
                        break;
                    }
                }
            }
            Ok(_) => {}
            Err(err) => errors.push(format!("{}: {err}", dir.display())),
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Reads a file as UTF-8 text and parses it as `kind`.
pub fn load(path: &Path, kind: FileKind) -> Result<SourceFile, String> {
    let size = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?.len();
    if size > MAX_FILE_BYTES {
        return Err(format!("{}: larger than {} MiB; not checked", path.display(), MAX_FILE_BYTES / (1024 * 1024)));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text; not checked", path.display()))?;
    Ok(SourceFile::new(path.to_path_buf(), kind, text))
}

/// Records whether each path compose files reference exists.
pub fn check_referenced_paths(workspace: &mut Workspace) {
    for path in workspace.referenced_paths() {
        let exists = path.exists();
        workspace.path_exists.insert(path, exists);
    }
}
