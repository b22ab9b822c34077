//! Redaction of secrets in device output, per built-in platform: every secret of a sample
//! configuration is gone, everything around it stays.

use super::{Platform, Platforms, REDACTED};

/// A secret no sample prints except where a pattern must find it.
const UNIQUE: &str = "Zq7uNiQue";

fn redacted(platform: &str, output: &str) -> String {
    Platforms::builtin().get(platform).unwrap().redact(output).into_owned()
}

/// Redacts `sample` (in which every secret contains [`UNIQUE`]) and checks that no secret
/// is left, that `kept` lines survive unchanged, and how many secrets were replaced.
fn check(platform: &str, sample: &str, kept: &[&str]) {
    let out = redacted(platform, sample);
    assert!(!out.contains(UNIQUE), "{platform}: a secret is left in\n{out}");
    for line in kept {
        assert!(out.lines().any(|l| l == *line), "{platform}: {line:?} was changed\n{out}");
    }
    let secrets = sample.matches(UNIQUE).count();
    assert!(out.matches(REDACTED).count() >= secrets.min(1), "{platform}\n{out}");
}

#[test]
fn cisco_ios_xe_and_xr_secrets_are_redacted() {
    let sample = format!(
        "hostname r1\n\
         enable secret 9 $9${UNIQUE}a$Qp\n\
         username admin privilege 15 secret 5 $1${UNIQUE}b\n\
         username ops password 7 {UNIQUE}0822455D0A16\n\
         snmp-server community {UNIQUE}ro RO\n\
         tacacs-server host 10.0.0.9 key 7 {UNIQUE}k1\n\
         tacacs server T1\n address ipv4 10.0.0.10\n key 7 {UNIQUE}k2\n\
         radius-server key {UNIQUE}k3\n\
         key chain OSPF\n key 1\n  key-string 7 {UNIQUE}k4\n\
         crypto isakmp key {UNIQUE}psk1 address 192.0.2.1\n\
         pre-shared-key local {UNIQUE}psk2\n\
         line vty 0 4\n password {UNIQUE}clear\n\
         interface Loopback0\n description uplink to core\n"
    );
    let kept = ["hostname r1", "interface Loopback0", " description uplink to core", "key chain OSPF", "line vty 0 4"];
    for platform in ["cisco_ios", "cisco_xe", "cisco_xr"] {
        check(platform, &sample, &kept);
    }
    let out = redacted("cisco_ios", &sample);
    assert!(out.contains("enable secret 9 <redacted>\n"), "{out}");
    assert!(out.contains("snmp-server community <redacted> RO\n"), "{out}");
    assert!(out.contains("crypto isakmp key <redacted> address 192.0.2.1\n"), "{out}");
}

#[test]
fn nxos_secrets_are_redacted() {
    let sample = format!(
        "username admin password 5 $5${UNIQUE}h role network-admin\n\
         snmp-server user ops network-admin auth md5 0x{UNIQUE}a1 priv 0x{UNIQUE}p1 localizedkey\n\
         snmp-server community {UNIQUE}c group network-operator\n\
         tacacs-server key 7 \"{UNIQUE}t\"\n\
         feature tacacs+\n"
    );
    check("cisco_nxos", &sample, &["feature tacacs+"]);
}

#[test]
fn eos_secrets_are_redacted() {
    let sample = format!(
        "username admin privilege 15 role network-admin secret sha512 $6${UNIQUE}x\n\
         enable password sha512 $6${UNIQUE}y\n\
         snmp-server community {UNIQUE}pub ro\n\
         radius-server host 10.0.0.9 key 7 {UNIQUE}r\n\
         management api http-commands\n"
    );
    check("arista_eos", &sample, &["management api http-commands"]);
}

#[test]
fn junos_secrets_are_redacted_in_both_formats() {
    let hierarchy = format!(
        "system {{\n    root-authentication {{\n        encrypted-password \"$6${UNIQUE}r\"; ## SECRET-DATA\n    }}\n\
         login {{\n        user ops {{\n            authentication {{\n                encrypted-password \"$1${UNIQUE}o\";\n\
         }}\n        }}\n    }}\n}}\n\
         snmp {{\n    community {UNIQUE}pub {{\n        authorization read-only;\n    }}\n}}\n\
         security {{\n    ike {{\n        policy p1 {{\n            pre-shared-key ascii-text \"$9${UNIQUE}k\"; ## SECRET-DATA\n\
         }}\n    }}\n}}\n\
         protocols {{\n    ospf {{\n        area 0.0.0.0 {{\n            interface ge-0/0/0.0 {{\n\
         authentication {{\n                    md5 1 key \"$9${UNIQUE}m\"; ## SECRET-DATA\n}}\n}}\n}}\n}}\n}}\n"
    );
    check("juniper_junos", &hierarchy, &["        authorization read-only;"]);
    let set = format!(
        "set system root-authentication encrypted-password \"$6${UNIQUE}r\"\n\
         set snmp community {UNIQUE}pub authorization read-only\n\
         set system radius-server 10.0.0.9 secret \"$9${UNIQUE}s\"\n\
         set interfaces ge-0/0/0 description uplink\n"
    );
    check("juniper_junos", &set, &["set interfaces ge-0/0/0 description uplink"]);
}

#[test]
fn dell_and_linux_secrets_are_redacted() {
    let dell = format!(
        "username admin password $6${UNIQUE}d role sysadmin priv-lvl 15\n\
         snmp-server community {UNIQUE}pub ro\n\
         radius-server host 10.0.0.9 key 9 {UNIQUE}r\n\
         interface ethernet1/1/1\n"
    );
    check("dell_os10", &dell, &["interface ethernet1/1/1"]);
    let linux = format!("DB_PASSWORD={UNIQUE}1\napi_key: {UNIQUE}2\nLinux r1 6.1.0 x86_64\n");
    check("linux", &linux, &["Linux r1 6.1.0 x86_64"]);
}

#[test]
fn output_without_secrets_is_returned_as_it_is() {
    let ios = Platforms::builtin().get("cisco_ios").unwrap();
    let version = "Cisco IOS Software, C2960 Software\nuptime is 5 weeks\nservice password-encryption\n";
    assert!(matches!(ios.redact(version), std::borrow::Cow::Borrowed(_)));
}

#[test]
fn overlapping_matches_are_replaced_once() {
    // The `$9$` and `encrypted-password` patterns both find this secret.
    let out = redacted("juniper_junos", &format!("encrypted-password \"$9${UNIQUE}\";"));
    assert_eq!(out, "encrypted-password \"<redacted>\";");
}

#[test]
fn a_secret_pattern_without_its_group_is_refused() {
    let ios = include_str!("../../platforms/cisco_ios.toml");
    let broken = ios.replace("(?P<secret>\\S+)',\n  '(?m)^[ \\t]*snmp", "(\\S+)',\n  '(?m)^[ \\t]*snmp");
    assert_ne!(broken, ios, "the sample edit applies");
    let error = Platform::parse(&broken).unwrap_err();
    assert!(error.contains("named group `secret`"), "{error}");
}
