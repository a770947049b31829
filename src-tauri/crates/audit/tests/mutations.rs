//! Property: every change to any file of a bundle is detected, and the first bad file and
//! line are named. Thousands of random mutations (flip a byte, delete, duplicate, swap or
//! insert lines, truncate) across all four files of a real exported bundle.

mod common;

use common::{TestResult, exported, read_all};
use countersign_audit::{FILE_NAMES, MANIFEST_FILE, verify_bundle_files};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::cell::RefCell;
use std::collections::BTreeMap;

const CASES: u32 = 6000;

#[derive(Clone, Debug)]
enum Mutation {
    FlipByte(Index, u8),
    DeleteLine(Index),
    DuplicateLine(Index),
    SwapLines(Index, Index),
    InsertLine(Index, Vec<u8>),
    InsertCopy(Index, Index),
    Truncate(Index),
}

impl Mutation {
    fn name(&self) -> &'static str {
        match self {
            Mutation::FlipByte(..) => "flip byte",
            Mutation::DeleteLine(..) => "delete line",
            Mutation::DuplicateLine(..) => "duplicate line",
            Mutation::SwapLines(..) => "swap lines",
            Mutation::InsertLine(..) => "insert line",
            Mutation::InsertCopy(..) => "insert copy of a line",
            Mutation::Truncate(..) => "truncate",
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<Index>(), 1u8..=255).prop_map(|(i, m)| Mutation::FlipByte(i, m)),
        1 => any::<Index>().prop_map(Mutation::DeleteLine),
        1 => any::<Index>().prop_map(Mutation::DuplicateLine),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        1 => (any::<Index>(), proptest::collection::vec(any::<u8>(), 0..80))
            .prop_map(|(i, l)| Mutation::InsertLine(i, l)),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::InsertCopy(a, b)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

/// Lines as verify counts them: split on `\n`, a final newline ends the last line.
fn lines(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    if v.last().is_some_and(Vec::is_empty) {
        v.pop();
    }
    v
}

fn join(lines: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
    out
}

fn apply(m: &Mutation, bytes: &[u8]) -> Vec<u8> {
    let mut ls = lines(bytes);
    match m {
        Mutation::FlipByte(i, mask) => {
            let mut out = bytes.to_vec();
            if !out.is_empty() {
                let p = i.index(out.len());
                out[p] ^= mask;
            }
            out
        }
        Mutation::DeleteLine(i) => {
            if !ls.is_empty() {
                ls.remove(i.index(ls.len()));
            }
            join(&ls)
        }
        Mutation::DuplicateLine(i) => {
            if !ls.is_empty() {
                let p = i.index(ls.len());
                let l = ls[p].clone();
                ls.insert(p, l);
            }
            join(&ls)
        }
        Mutation::SwapLines(a, b) => {
            if !ls.is_empty() {
                let (a, b) = (a.index(ls.len()), b.index(ls.len()));
                ls.swap(a, b);
            }
            join(&ls)
        }
        Mutation::InsertLine(i, content) => {
            let content: Vec<u8> = content.iter().copied().filter(|&b| b != b'\n').collect();
            ls.insert(i.index(ls.len() + 1), content);
            join(&ls)
        }
        Mutation::InsertCopy(at, from) => {
            if !ls.is_empty() {
                let l = ls[from.index(ls.len())].clone();
                ls.insert(at.index(ls.len() + 1), l);
            }
            join(&ls)
        }
        Mutation::Truncate(i) => bytes[..i.index(bytes.len().max(1)).min(bytes.len())].to_vec(),
    }
}

/// The 1-based line verify must name: the first that differs, or the last when only the
/// final newline changed.
fn first_different_line(old: &[u8], new: &[u8]) -> u64 {
    let (a, b) = (lines(old), lines(new));
    let first = (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i));
    match first {
        Some(i) => i as u64 + 1,
        None => b.len().max(1) as u64,
    }
}

#[derive(Default)]
struct Tally {
    tried: u64,
    no_op: u64,
    detected: u64,
    by_kind: BTreeMap<(&'static str, &'static str), u64>,
}

#[test]
fn every_mutation_of_any_file_is_detected_and_located() -> TestResult {
    let e = exported(8, 12)?;
    let pristine = read_all(&e.bundle)?;
    assert!(verify_bundle_files(&pristine).is_ok());
    let names: Vec<&'static str> = std::iter::once(MANIFEST_FILE).chain(FILE_NAMES).collect();
    let tally = RefCell::new(Tally::default());
    let started = std::time::Instant::now();
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    });
    // One to three mutations per case, in any files; verify checks the manifest first and
    // then the files in manifest order, so it must name the first changed file in that order.
    let result = runner.run(
        &prop_oneof![
            3 => proptest::collection::vec((0..names.len(), mutation()), 1..=1),
            1 => proptest::collection::vec((0..names.len(), mutation()), 2..=3),
        ],
        |ms| {
            let mut files = pristine.clone();
            for (file, m) in &ms {
                let name = names[*file];
                let cur = files
                    .get(name)
                    .ok_or_else(|| TestCaseError::fail("file missing"))?;
                let new = apply(m, cur);
                files.insert(name.to_string(), new);
            }
            let mut t = tally.borrow_mut();
            t.tried += 1;
            let Some(name) = names
                .iter()
                .copied()
                .find(|n| files.get(*n) != pristine.get(*n))
            else {
                t.no_op += 1;
                return Ok(());
            };
            let (old, new) = match (pristine.get(name), files.get(name)) {
                (Some(o), Some(n)) => (o, n),
                _ => return Err(TestCaseError::fail("file missing")),
            };
            let kinds: Vec<&str> = ms.iter().map(|(_, m)| m.name()).collect();
            let err = match verify_bundle_files(&files) {
                Ok(_) => {
                    return Err(TestCaseError::fail(format!(
                        "{kinds:?} of {name} went undetected"
                    )));
                }
                Err(err) => err,
            };
            prop_assert_eq!(&err.file, name, "{}", err);
            if name == MANIFEST_FILE {
                prop_assert_eq!(err.line, None, "{}", err);
            } else {
                prop_assert_eq!(err.line, Some(first_different_line(old, new)), "{}", err);
            }
            t.detected += 1;
            let label = if ms.len() == 1 {
                ms[0].1.name()
            } else {
                "2-3 mixed"
            };
            *t.by_kind.entry((name, label)).or_default() += 1;
            Ok(())
        },
    );
    let t = tally.into_inner();
    eprintln!(
        "{} mutations tried, {} changed a file, {} detected and located, in {:.1?}",
        t.tried,
        t.tried - t.no_op,
        t.detected,
        started.elapsed()
    );
    for ((file, kind), n) in &t.by_kind {
        eprintln!("  {file:<13} {kind:<22} {n}");
    }
    result.map_err(|e| e.to_string())?;
    assert!(t.tried >= u64::from(CASES));
    assert_eq!(t.detected, t.tried - t.no_op);
    Ok(())
}
