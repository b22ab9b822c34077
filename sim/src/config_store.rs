//! A device's running configuration: top-level lines and sections (`interface X` with
//! indented children), kept in display order and shared by all sessions of the device.

/// First words of top-level lines that always open a block in the display.
const BLOCK_WORDS: &[&str] = &["interface", "router", "line", "vlan"];

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Section {
    pub header: String,
    pub children: Vec<String>,
}

impl Section {
    fn is_block(&self) -> bool {
        !self.children.is_empty() || BLOCK_WORDS.contains(&first_word(&self.header))
    }
}

#[derive(Clone, Debug)]
pub(crate) struct RunningConfig {
    hostname: String,
    sections: Vec<Section>,
    singletons: &'static [&'static str],
}

/// One interface as `show ip interface brief` needs it.
pub(crate) struct InterfaceView<'a> {
    pub name: &'a str,
    pub address: Option<&'a str>,
    pub shutdown: bool,
}

fn first_word(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or("")
}

/// `line` is `prefix` or starts with `prefix` followed by a space.
fn has_prefix(line: &str, prefix: &str) -> bool {
    line.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
}

fn block_rank(header: &str) -> u8 {
    match first_word(header) {
        "vlan" => 1,
        "interface" => 2,
        "router" => 3,
        "line" => 5,
        _ => 4,
    }
}

impl RunningConfig {
    /// An empty configuration; `singletons` are the line prefixes that hold one value.
    pub fn empty(singletons: &'static [&'static str]) -> Self {
        Self { hostname: String::new(), sections: Vec::new(), singletons }
    }

    pub fn hostname(&self) -> &str {
        &self.hostname
    }

    /// Appends a section as is (for building a baseline in display order).
    pub fn push(&mut self, header: &str, children: &[&str]) {
        if let Some(name) = header.strip_prefix("hostname ") {
            self.hostname = name.trim().to_owned();
        }
        self.sections
            .push(Section { header: header.to_owned(), children: children.iter().map(|c| (*c).to_owned()).collect() });
    }

    fn singleton_key(&self, line: &str) -> Option<&'static str> {
        self.singletons.iter().copied().filter(|k| has_prefix(line, k)).max_by_key(|k| k.len())
    }

    /// Sets a top-level line such as `ntp server 192.0.2.1` or `hostname r9`.
    pub fn set_global(&mut self, line: &str) {
        if let Some(name) = line.strip_prefix("hostname ") {
            self.hostname = name.trim().to_owned();
        }
        if self.sections.iter().any(|s| s.header == line) {
            return;
        }
        if let Some(key) = self.singleton_key(line)
            && let Some(existing) =
                self.sections.iter_mut().find(|s| s.children.is_empty() && has_prefix(&s.header, key))
        {
            existing.header = line.to_owned();
            return;
        }
        self.sections.retain(|s| !s.header.strip_prefix("no ").is_some_and(|negated| has_prefix(line, negated)));
        let word = first_word(line);
        let position = self
            .sections
            .iter()
            .rposition(|s| !s.is_block() && first_word(&s.header) == word)
            .map(|i| i + 1)
            .or_else(|| self.sections.iter().position(Section::is_block))
            .unwrap_or(self.sections.len());
        self.sections.insert(position, Section { header: line.to_owned(), children: Vec::new() });
    }

    /// Removes top-level lines and sections that start with `prefix` (`no ...`).
    pub fn remove_global(&mut self, prefix: &str) {
        if prefix == "hostname" {
            self.set_global("hostname Router");
            return;
        }
        self.sections.retain(|s| !has_prefix(&s.header, prefix));
    }

    /// Makes sure a section exists, e.g. `interface Loopback7`.
    pub fn enter_section(&mut self, header: &str) {
        if self.sections.iter().any(|s| s.header == header) {
            return;
        }
        let word = first_word(header);
        let rank = block_rank(header);
        let position = self
            .sections
            .iter()
            .rposition(|s| s.is_block() && first_word(&s.header) == word)
            .map(|i| i + 1)
            .or_else(|| self.sections.iter().position(|s| s.is_block() && block_rank(&s.header) > rank))
            .unwrap_or(self.sections.len());
        self.sections.insert(position, Section { header: header.to_owned(), children: Vec::new() });
    }

    fn section_mut(&mut self, header: &str) -> &mut Section {
        self.enter_section(header);
        let index = self.sections.iter().position(|s| s.header == header).unwrap_or_default();
        &mut self.sections[index]
    }

    /// Sets a line inside a section (`description uplink` under `interface X`).
    pub fn set_child(&mut self, header: &str, line: &str) {
        let key = self.singleton_key(line);
        let section = self.section_mut(header);
        if section.children.iter().any(|c| c == line) {
            return;
        }
        if let Some(key) = key
            && let Some(existing) = section.children.iter_mut().find(|c| has_prefix(c, key))
        {
            *existing = line.to_owned();
            return;
        }
        section.children.retain(|c| !c.strip_prefix("no ").is_some_and(|negated| has_prefix(line, negated)));
        section.children.push(line.to_owned());
    }

    /// Removes lines inside a section that start with `prefix`.
    pub fn remove_child(&mut self, header: &str, prefix: &str) {
        self.section_mut(header).children.retain(|c| !has_prefix(c, prefix));
    }

    /// The configuration as displayed, without the `Building configuration...` preamble
    /// and the final `end`: sections separated by `!`, children indented by one space.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut previous: Option<&Section> = None;
        for section in &self.sections {
            let separate = match previous {
                None => true,
                Some(p) => section.is_block() || p.is_block() || first_word(&p.header) != first_word(&section.header),
            };
            if separate {
                out.push("!".to_owned());
            }
            out.push(section.header.clone());
            out.extend(section.children.iter().map(|c| format!(" {c}")));
            previous = Some(section);
        }
        out.push("!".to_owned());
        out
    }

    pub fn interfaces(&self) -> Vec<InterfaceView<'_>> {
        self.sections
            .iter()
            .filter_map(|s| {
                let name = s.header.strip_prefix("interface ")?;
                let address = s.children.iter().find_map(|c| c.strip_prefix("ip address ")?.split_whitespace().next());
                let shutdown = s.children.iter().any(|c| c == "shutdown");
                Some(InterfaceView { name, address, shutdown })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> RunningConfig {
        let mut c = RunningConfig::empty(&["hostname", "description", "ip address", "shutdown"]);
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
}
