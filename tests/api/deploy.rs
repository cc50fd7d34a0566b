//! `deploy/pulse.service`: hardened, and accepted by `systemd-analyze verify`.
use crate::databases::skip_outside_ci;

const UNIT: &str = include_str!("../../deploy/pulse.service");

#[test]
fn the_systemd_unit_is_hardened_and_verifies() {
    for setting in [
        "DynamicUser=yes",
        "StateDirectory=pulse",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=\n",
        "SystemCallFilter=@system-service",
        "ExecStartPre=/usr/local/bin/pulse migrate",
        "ExecStart=/usr/local/bin/pulse serve",
        "KillSignal=SIGTERM",
    ] {
        assert!(
            UNIT.contains(setting),
            "deploy/pulse.service lacks {setting:?}"
        );
    }
    if std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        skip_outside_ci(
            "deploy::the_systemd_unit_is_hardened_and_verifies",
            "systemd-analyze is not installed",
        );
        return;
    }
    // The unit as installed, with this build's binary where it would be.
    let dir = tempfile::tempdir().unwrap();
    let unit = dir.path().join("pulse.service");
    std::fs::write(
        &unit,
        UNIT.replace("/usr/local/bin/pulse", env!("CARGO_BIN_EXE_pulse")),
    )
    .unwrap();
    let output = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stderr);
    let complaints: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("pulse.service") && !l.contains("Documentation"))
        .collect();
    assert!(output.status.success() && complaints.is_empty(), "{said}");
}
