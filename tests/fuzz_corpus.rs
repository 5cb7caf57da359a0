//! Every fuzz corpus input and every crash the fuzzers found, run through the same entry points
//! as the fuzz targets (`driftls::fuzzing`), on stable Rust in the normal test suite: a fixed
//! crash stays fixed. See RELIABILITY.md for the fuzzing runs.

use std::path::Path;

#[test]
fn every_corpus_input_and_past_crash_runs_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut ran = 0;
    for target in driftls::fuzzing::TARGETS {
        for kind in ["corpus", "regressions"] {
            let dir = root.join(kind).join(target);
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            let mut files: Vec<_> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
            files.sort();
            for file in files {
                if file.file_name().is_some_and(|n| n == ".keep") {
                    continue;
                }
                let data = std::fs::read(&file).expect("read corpus file");
                let outcome = std::panic::catch_unwind(|| driftls::fuzzing::run(target, &data));
                assert!(outcome.is_ok(), "{target}: {} panics", file.display());
                ran += 1;
            }
        }
    }
    assert!(ran >= 40, "only {ran} corpus inputs found under {}", root.display());
}
