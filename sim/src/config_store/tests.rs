use super::*;

static STYLE: ConfigStyle = ConfigStyle {
    hostname: "hostname",
    default_host: "Router",
    indent: " ",
    separator: "!",
    singletons: &["hostname", "description", "ip address", "shutdown", "interfaces * description"],
};

fn config() -> RunningConfig {
    let mut c = RunningConfig::empty(&STYLE);
    c.push("hostname r1", &[]);
    c.set_global("ip cef");
    c.enter_section("interface GigabitEthernet0/0");
    c.set_child("interface GigabitEthernet0/0", "no ip address");
    c.enter_section("line vty 0 4");
    c
}

#[test]
fn sections_nest_and_singletons_replace() {
    let mut c = config();
    c.set_child("interface Loopback7", "description one");
    c.set_child("interface Loopback7", "description probe");
    c.set_child("interface GigabitEthernet0/0", "ip address 10.0.0.1 255.255.255.0");
    c.set_global("ntp server 192.0.2.1");
    let text = c.lines().join("\n");
    assert!(text.contains("interface Loopback7\n description probe\n"), "{text}");
    assert!(!text.contains("description one"));
    assert!(!text.contains("no ip address"), "setting an address drops `no ip address`: {text}");
    let lo = text.find("interface Loopback7").unwrap();
    assert!(lo > text.find("interface GigabitEthernet0/0").unwrap() && lo < text.find("line vty").unwrap());
    assert!(text.find("ntp server").unwrap() < text.find("interface").unwrap());
    let ifs = c.interfaces();
    assert_eq!(ifs[0].address, Some("10.0.0.1"));
}

#[test]
fn hostname_and_removal() {
    let mut c = config();
    c.set_global("hostname core9");
    assert_eq!(c.hostname(), "core9");
    assert_eq!(c.lines().iter().filter(|l| l.starts_with("hostname")).count(), 1);
    c.remove_global("interface GigabitEthernet0/0");
    assert!(c.interfaces().is_empty());
    c.remove_global("hostname");
    assert_eq!(c.hostname(), "Router");
}

#[test]
fn wildcard_singletons_replace_per_value() {
    let mut c = config();
    c.apply(&Edit::Global("interfaces ge-0/0/0 description a".into()));
    c.apply(&Edit::Global("interfaces ge-0/0/1 description b".into()));
    c.apply(&Edit::Global("interfaces ge-0/0/0 description c".into()));
    let text = c.lines().join("\n");
    assert!(text.contains("ge-0/0/0 description c") && text.contains("ge-0/0/1 description b"), "{text}");
    assert!(!text.contains("description a"), "{text}");
}
