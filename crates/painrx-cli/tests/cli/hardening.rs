//! Regressions for the outside probe's CLI findings (issue 13): exit codes as documented and
//! bounded reads.

use super::*;

/// Probe: database and output errors exited 1, the code reserved for invalid content. They
/// exit 3 now; bad input stays 2.
#[test]
fn io_and_database_failures_exit_3() {
    let data = tempfile::tempdir().unwrap();
    let stderr = |out: &Output| String::from_utf8_lossy(&out.stderr).into_owned();
    let list = |db: &str| {
        in_data(
            data.path(),
            &["diary", "list", "--patient", "p1", "--db", db],
        )
    };
    // A database that cannot be opened (its folder does not exist).
    let missing = data.path().join("no/such/folder/d.db");
    let out = list(missing.to_str().unwrap());
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // A PostgreSQL server that does not answer (nothing listens on port 1).
    let out = list("postgres://postgres@127.0.0.1:1/none");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("unavailable"), "{}", stderr(&out));
    // Output that cannot be written.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let bin = assert_cmd::cargo::cargo_bin("painrx");
    let out = std::process::Command::new(bin)
        .args(["search", "pregabalin", "--json"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    // Bad input is still 2.
    let out = in_data(
        data.path(),
        &["diary", "list", "--patient", "no spaces allowed"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Probe: `painrx diary import` read `/dev/zero` until it held 8.8 GB. Files are read up to a
/// bound (8 MiB for a diary, 1 MiB for a page, policy or plan) and refused past it (exit 2).
#[test]
fn imports_read_a_bounded_amount() {
    let data = tempfile::tempdir().unwrap();
    let out = in_data(
        data.path(),
        &[
            "diary",
            "import",
            "--patient",
            "p1",
            "--format",
            "csv",
            "/dev/zero",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("larger than 8388608 bytes"), "{said}");
    let big = data.path().join("big.txt");
    std::fs::write(&big, "x".repeat(1024 * 1024 + 1)).unwrap();
    for args in [
        vec!["kb", "import-page", big.to_str().unwrap()],
        vec!["check", "pregabalin", "--policy", big.to_str().unwrap()],
    ] {
        let out = in_data(data.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("larger than"),
            "{args:?}"
        );
    }
}
