//! SECURITY.md's proof column names tests; each must exist, so the table cannot quietly rot
//! when a test is renamed or removed.
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The `a::b::c` references in the last cell of each table row.
fn proofs(doc: &str) -> Vec<String> {
    doc.lines()
        .filter(|line| line.starts_with('|'))
        .filter_map(|line| line.trim_end_matches('|').rsplit('|').next())
        .flat_map(|cell| cell.split('`').skip(1).step_by(2).map(str::to_owned))
        .filter(|span| {
            span.contains("::")
                && span
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_:*".contains(c))
        })
        .collect()
}

fn source_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

/// Whether a test (or a module, for `…::*`) of that path exists: `file::test` in tests/api, or
/// `module::…::tests::test` in the source file of that module under src (`a::b` is
/// `src/a/b.rs` or `src/a/b/mod.rs`; a short path names the module by its last part).
fn exists(reference: &str, sources: &[std::path::PathBuf]) -> bool {
    let parts: Vec<&str> = reference.split("::").collect();
    let name = parts[parts.len() - 1];
    let integration = Path::new(ROOT)
        .join("tests/api")
        .join(format!("{}.rs", parts[0]));
    let module: Vec<&str> = parts[..parts.len() - 1]
        .iter()
        .copied()
        .take_while(|p| *p != "tests")
        .collect();
    let candidates: Vec<&std::path::PathBuf> = if integration.exists() {
        vec![]
    } else {
        let tail = module.join("/");
        sources
            .iter()
            .filter(|f| {
                let f = f.to_string_lossy();
                f.ends_with(&format!("/{tail}.rs")) || f.ends_with(&format!("/{tail}/mod.rs"))
            })
            .collect()
    };
    let read = |f: &Path| std::fs::read_to_string(f).unwrap_or_default();
    match (integration.exists(), name) {
        (true, "*") => true,
        (true, name) => read(&integration).contains(&format!("fn {name}(")),
        (false, "*") => !candidates.is_empty(),
        (false, name) => candidates
            .iter()
            .any(|f| read(f).contains(&format!("fn {name}("))),
    }
}

#[test]
fn every_proof_in_security_md_names_a_test_that_exists() {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("SECURITY.md")).unwrap();
    let mut files = Vec::new();
    source_files(&Path::new(ROOT).join("src"), &mut files);
    let references = proofs(&doc);
    assert!(references.len() > 40, "found only {references:?}");
    let missing: Vec<&String> = references.iter().filter(|r| !exists(r, &files)).collect();
    assert!(
        missing.is_empty(),
        "SECURITY.md names tests that do not exist: {missing:?}"
    );
}
