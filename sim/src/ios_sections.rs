//! Cisco IOS configuration sections: checking what follows `interface`, `router`, `line`,
//! `vlan` and `ip access-list` and spelling the section header the way IOS displays it.

use crate::platform::{ArgError, match_keyword};

/// Interface types in abbreviation priority order (`e0/0` is Ethernet, `t` TenGigabit).
const INTERFACE_TYPES: &[&str] = &[
    "Ethernet",
    "FastEthernet",
    "GigabitEthernet",
    "TenGigabitEthernet",
    "TwentyFiveGigE",
    "FortyGigabitEthernet",
    "HundredGigE",
    "Loopback",
    "Vlan",
    "Port-channel",
    "Tunnel",
    "Serial",
    "Null",
];

/// `0/1`, `1/1/1.100`, and IOS-XR node slots such as `0/RP0/CPU0/0`.
fn is_interface_number(text: &str) -> bool {
    let (main, sub) = text.split_once('.').unwrap_or((text, "0"));
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let slot = |s: &str| ["RP", "RSP", "CPU", "LC"].iter().any(|p| s.strip_prefix(p).is_some_and(numeric));
    main.split('/').all(|s| numeric(s) || slot(s)) && numeric(main.rsplit('/').next().unwrap_or("")) && numeric(sub)
}

/// `Loopback7`, `lo7`, `gi0/1`, `GigabitEthernet 0/1.100` → `interface GigabitEthernet0/1.100`.
pub(crate) fn interface_header(args: &[&str]) -> Result<String, ArgError> {
    interface_of(INTERFACE_TYPES, args)
}

/// The same with a platform's own interface types, in abbreviation priority order.
pub(crate) fn interface_of(types: &[&str], args: &[&str]) -> Result<String, ArgError> {
    let first = args.first().ok_or(ArgError::Incomplete)?;
    let split = first.find(|c: char| c.is_ascii_digit()).unwrap_or(first.len());
    let (kind, number, used) = match &first[split..] {
        "" => (*first, *args.get(1).ok_or(ArgError::Incomplete)?, 2),
        number => (&first[..split], number, 1),
    };
    let lower = kind.to_ascii_lowercase();
    let kind = types
        .iter()
        .find(|t| !lower.is_empty() && t.to_ascii_lowercase().starts_with(&lower))
        .ok_or(ArgError::Invalid(0))?;
    if !is_interface_number(number) {
        return Err(ArgError::Invalid(used - 1));
    }
    if args.len() > used {
        return Err(ArgError::Invalid(used));
    }
    Ok(format!("interface {kind}{number}"))
}

/// `<prefix> <name>`: exactly one argument.
pub(crate) fn named(prefix: &str, args: &[&str]) -> Result<String, ArgError> {
    match args {
        [] => Err(ArgError::Incomplete),
        [name] => Ok(format!("{prefix} {name}")),
        _ => Err(ArgError::Invalid(1)),
    }
}

pub(crate) fn number_in(text: &str, min: u32, max: u32) -> bool {
    text.parse::<u32>().is_ok_and(|n| (min..=max).contains(&n))
}

pub(crate) fn router_header(args: &[&str]) -> Result<String, ArgError> {
    let protocol = match_keyword(&["bgp", "eigrp", "isis", "ospf", "rip"], args.first().ok_or(ArgError::Incomplete)?)
        .map_err(|_| ArgError::Invalid(0))?;
    match protocol {
        "rip" | "isis" => match args.len() {
            1 => Ok(format!("router {protocol}")),
            2 if protocol == "isis" => Ok(format!("router isis {}", args[1])),
            _ => Err(ArgError::Invalid(1)),
        },
        _ => {
            let id = args.get(1).ok_or(ArgError::Incomplete)?;
            let named_eigrp = protocol == "eigrp" && id.chars().all(char::is_alphanumeric);
            if !(number_in(id, 1, u32::MAX) || named_eigrp) {
                return Err(ArgError::Invalid(1));
            }
            if args.len() > 2 && !(protocol == "ospf" && args[2].eq_ignore_ascii_case("vrf") && args.len() == 4) {
                return Err(ArgError::Invalid(2));
            }
            Ok(format!("router {protocol} {}", args[1..].join(" ")))
        }
    }
}

pub(crate) fn line_header(args: &[&str]) -> Result<String, ArgError> {
    let kind = match_keyword(&["aux", "console", "vty"], args.first().ok_or(ArgError::Incomplete)?)
        .map_err(|_| ArgError::Invalid(0))?;
    let numbers = &args[1..];
    let max_numbers = if kind == "vty" { 2 } else { 1 };
    if numbers.is_empty() {
        return Err(ArgError::Incomplete);
    }
    if let Some(bad) = numbers.iter().position(|n| !number_in(n, 0, 1869)) {
        return Err(ArgError::Invalid(bad + 1));
    }
    if numbers.len() > max_numbers {
        return Err(ArgError::Invalid(max_numbers + 1));
    }
    let kind = if kind == "console" { "con" } else { kind };
    Ok(format!("line {kind} {}", numbers.join(" ")))
}

pub(crate) fn vlan_header(args: &[&str]) -> Result<String, ArgError> {
    match args {
        [] => Err(ArgError::Incomplete),
        [id] if number_in(id, 1, 4094) => Ok(format!("vlan {id}")),
        [_] => Err(ArgError::Invalid(0)),
        _ => Err(ArgError::Invalid(1)),
    }
}

fn acl_header(kind: &str, args: &[&str]) -> Result<String, ArgError> {
    match args {
        [] => Err(ArgError::Incomplete),
        [name] => Ok(format!("ip access-list {kind} {name}")),
        _ => Err(ArgError::Invalid(1)),
    }
}

pub(crate) fn standard_acl_header(args: &[&str]) -> Result<String, ArgError> {
    acl_header("standard", args)
}

pub(crate) fn extended_acl_header(args: &[&str]) -> Result<String, ArgError> {
    acl_header("extended", args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names_normalise() {
        assert_eq!(interface_header(&["Loopback7"]).unwrap(), "interface Loopback7");
        assert_eq!(interface_header(&["lo", "7"]).unwrap(), "interface Loopback7");
        assert_eq!(interface_header(&["gi0/1.100"]).unwrap(), "interface GigabitEthernet0/1.100");
        assert_eq!(interface_header(&["bogus0"]), Err(ArgError::Invalid(0)));
        assert_eq!(interface_header(&["gi"]), Err(ArgError::Incomplete));
        assert_eq!(interface_header(&["gi0/x"]), Err(ArgError::Invalid(0)));
        assert_eq!(interface_of(&["MgmtEth"], &["mgmt0/RP0/CPU0/0"]).unwrap(), "interface MgmtEth0/RP0/CPU0/0");
        assert_eq!(interface_of(&["ethernet"], &["ethernet", "1/1/1"]).unwrap(), "interface ethernet1/1/1");
    }

    #[test]
    fn other_section_headers() {
        assert_eq!(router_header(&["ospf", "1"]).unwrap(), "router ospf 1");
        assert_eq!(router_header(&["bgp"]), Err(ArgError::Incomplete));
        assert_eq!(router_header(&["foo"]), Err(ArgError::Invalid(0)));
        assert_eq!(line_header(&["con", "0"]).unwrap(), "line con 0");
        assert_eq!(line_header(&["vty", "0", "15"]).unwrap(), "line vty 0 15");
        assert_eq!(vlan_header(&["5000"]), Err(ArgError::Invalid(0)));
    }
}
