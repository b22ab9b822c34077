//! The TextFSM language, one behaviour per test. Expected tables are what Google's
//! `textfsm` 2.1 returns for the same template and text.

use naas_textfsm::{ParseError, Template};
use serde_json::{Value, json};

fn parse(template: &str, text: &str) -> Value {
    let template = Template::parse(template).unwrap_or_else(|e| panic!("template: {e}"));
    let table = template.parse_text(text).unwrap_or_else(|e| panic!("parse: {e}"));
    Value::Array(table.records())
}

fn refused(template: &str) -> String {
    Template::parse(template).expect_err("the template should be refused").to_string()
}

#[test]
fn record_and_implicit_record_at_the_end() {
    let t = "Value NAME (\\S+)\nValue ADDR (\\S+)\n\nStart\n  ^${NAME}\\s+${ADDR} -> Record\n";
    assert_eq!(
        parse(t, "eth0 10.0.0.1\neth1 10.0.0.2\njunk\n"),
        json!([{"name": "eth0", "addr": "10.0.0.1"}, {"name": "eth1", "addr": "10.0.0.2"}])
    );
    // Without Record, the end of the input records what was collected.
    let t = "Value VERSION (\\S+)\nValue HOST (\\S+)\n\nStart\n  ^Version ${VERSION}\n  ^Host ${HOST}\n";
    assert_eq!(parse(t, "Host r1\nVersion 15.9\n"), json!([{"version": "15.9", "host": "r1"}]));
    // An empty record is never added.
    assert_eq!(parse(t, "nothing here\n"), json!([]));
}

#[test]
fn an_eof_state_suppresses_the_end_record_and_end_stops_reading() {
    let base = "Value A (\\d+)\n\nStart\n  ^a ${A}\n  ^stop -> End\n";
    assert_eq!(parse(base, "a 1\n"), json!([{"a": "1"}]));
    assert_eq!(parse(base, "a 1\nstop\na 2\n"), json!([]), "End: no record at the end, later lines unread");
    let eof = format!("{base}\nEOF\n");
    assert_eq!(parse(&eof, "a 1\n"), json!([]));
    // Going to EOF stops reading; the end record is still added (no EOF state declared).
    let to_eof = "Value A (\\d+)\n\nStart\n  ^a ${A}\n  ^stop -> EOF\n";
    assert_eq!(parse(to_eof, "a 1\nstop\na 2\n"), json!([{"a": "1"}]));
}

#[test]
fn continue_tries_the_next_rules_on_the_same_line() {
    let t =
        "Value FIRST (\\S+)\nValue SECOND (\\S+)\n\nStart\n  ^${FIRST} -> Continue\n  ^\\S+\\s+${SECOND} -> Record\n";
    assert_eq!(parse(t, "x y\n"), json!([{"first": "x", "second": "y"}]));
    // Next (the default) goes to the next line: the second rule never sees it.
    let t = "Value FIRST (\\S+)\nValue SECOND (\\S+)\n\nStart\n  ^${FIRST}\n  ^\\S+\\s+${SECOND} -> Record\n";
    assert_eq!(parse(t, "x y\n"), json!([{"first": "x", "second": ""}]));
}

#[test]
fn continue_record_closes_the_previous_record_on_a_header_line() {
    let t = "Value Required INTERFACE (\\S+)\nValue MTU (\\d+)\n\nStart\n  ^\\S+ is -> Continue.Record\n  ^${INTERFACE} is\n  ^\\s+MTU ${MTU}\n";
    assert_eq!(
        parse(t, "eth0 is up\n  MTU 1500\neth1 is down\n  MTU 9000\n"),
        json!([{"interface": "eth0", "mtu": "1500"}, {"interface": "eth1", "mtu": "9000"}])
    );
}

#[test]
fn filldown_keeps_a_value_across_records_until_clearall() {
    let t = "Value Filldown VRF (\\S+)\nValue ROUTE (\\S+)\n\nStart\n  ^VRF ${VRF}\n  ^route ${ROUTE} -> Record\n  ^reset -> Clearall\n";
    assert_eq!(
        parse(t, "VRF red\nroute 10.0.0.0/8\nroute 10.1.0.0/16\nVRF blue\nroute 0.0.0.0/0\nreset\nroute 1.1.1.1/32\n"),
        json!([
            {"vrf": "red", "route": "10.0.0.0/8"},
            {"vrf": "red", "route": "10.1.0.0/16"},
            {"vrf": "blue", "route": "0.0.0.0/0"},
            {"vrf": "", "route": "1.1.1.1/32"},
        ])
    );
    // A Filldown value alone does not make a record at the end.
    assert_eq!(parse(t, "VRF red\n"), json!([{"vrf": "red", "route": ""}]));
}

#[test]
fn clear_keeps_filldown_values_and_drops_the_rest() {
    let t =
        "Value Filldown A (\\S+)\nValue B (\\S+)\n\nStart\n  ^a ${A}\n  ^b ${B}\n  ^clear -> Clear\n  ^rec -> Record\n";
    // The Filldown value alone still makes the end-of-input record.
    assert_eq!(parse(t, "a 1\nb 2\nclear\nrec\n"), json!([{"a": "1", "b": ""}, {"a": "1", "b": ""}]));
}

#[test]
fn required_drops_records_without_the_value() {
    let t =
        "Value Required NAME (\\S+)\nValue DESC (.+)\n\nStart\n  ^name ${NAME}\n  ^desc ${DESC}\n  ^end -> Record\n";
    assert_eq!(parse(t, "desc orphan\nend\nname r1\ndesc kept\nend\n"), json!([{"name": "r1", "desc": "kept"}]));
}

#[test]
fn fillup_fills_earlier_records_that_lack_the_value() {
    let t =
        "Value Fillup CHASSIS (\\S+)\nValue SLOT (\\d+)\n\nStart\n  ^slot ${SLOT} -> Record\n  ^chassis ${CHASSIS}\n";
    assert_eq!(
        parse(t, "slot 1\nslot 2\nchassis c1\n"),
        // The last line's record is the one made at the end of the input.
        json!([{"chassis": "c1", "slot": "1"}, {"chassis": "c1", "slot": "2"}, {"chassis": "c1", "slot": ""}])
    );
}

#[test]
fn list_values_collect_every_match_and_nested_groups_become_objects() {
    let t = "Value NAME (\\S+)\nValue List MEMBER (\\S+)\n\nStart\n  ^group ${NAME}\n  ^\\s+member ${MEMBER}\n  ^end -> Record\n";
    assert_eq!(
        parse(t, "group g1\n member a\n member b\nend\ngroup g2\nend\n"),
        json!([{"name": "g1", "member": ["a", "b"]}, {"name": "g2", "member": []}])
    );
    let t = "Value List PEER ((?P<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)\\s+(?P<asn>\\d+))\n\nStart\n  ^peer ${PEER}\n";
    assert_eq!(
        parse(t, "peer 10.0.0.1 65001\npeer 10.0.0.2 65002\n"),
        json!([{"peer": [{"ip": "10.0.0.1", "asn": "65001"}, {"ip": "10.0.0.2", "asn": "65002"}]}])
    );
}

/// A List value in an optional part of a rule that did not match still adds an item: the
/// text "None", as clitable's table writes it.
#[test]
fn a_list_item_whose_group_did_not_take_part_is_none() {
    let t = "Value NAME (\\S+)\nValue List TAGS (\\d+)\n\nStart\n  ^port ${NAME}\n  ^\\s+member(\\s+tag\\s+${TAGS})?\\s*$$\n  ^end -> Record\n";
    assert_eq!(
        parse(t, "port p1\n  member tag 7\n  member\n  member tag 9\nend\nport p2\n  member\nend\n"),
        json!([{"name": "p1", "tags": ["7", "None", "9"]}, {"name": "p2", "tags": ["None"]}])
    );
}

#[test]
fn states_change_on_transitions() {
    let t = "Value Filldown SECTION (\\S+)\nValue ITEM (\\S+)\n\nStart\n  ^== ${SECTION} -> Body\n\nBody\n  ^- ${ITEM} -> Record\n  ^== ${SECTION}\n  ^done -> Start\n";
    assert_eq!(
        parse(t, "- ignored\n== one\n- a\n== two\n- b\ndone\n- ignored too\n"),
        json!([{"section": "one", "item": "a"}, {"section": "two", "item": "b"}, {"section": "two", "item": ""}])
    );
}

#[test]
fn error_stops_parsing_with_the_templates_message_but_not_the_input() {
    let t = "Value A (\\d+)\n\nStart\n  ^a ${A}\n  ^. -> Error \"unexpected line\"\n";
    let template = Template::parse(t).unwrap();
    match template.parse_text("a 1\nsecret-config-line\n") {
        Err(ParseError::Rejected { message, rule_line, input_line }) => {
            assert_eq!((message.as_deref(), rule_line, input_line), (Some("\"unexpected line\""), 5, 2));
        }
        other => panic!("{other:?}"),
    }
    let shown = template.parse_text("a 1\nsecret-config-line\n").unwrap_err().to_string();
    assert!(!shown.contains("secret-config-line"), "{shown}");
    let bare = Template::parse("Value A (\\d+)\n\nStart\n  ^x -> Error\n").unwrap();
    assert!(matches!(bare.parse_text("x"), Err(ParseError::Rejected { message: None, .. })));
}

#[test]
fn optional_groups_that_do_not_take_part_reset_the_value() {
    let t = "Value A (\\d+)\nValue B (\\d+)\n\nStart\n  ^line ${A}(\\s+${B})? -> Record\n";
    assert_eq!(parse(t, "line 1 2\nline 3\n"), json!([{"a": "1", "b": "2"}, {"a": "3", "b": ""}]));
}

#[test]
fn dollar_signs_comments_and_substitution() {
    // `$$` is the end-of-line anchor; `$NAME` works like `${NAME}`; comments are skipped.
    let t = "# a comment\nValue A (\\w+)\n\n# before the state\nStart\n  # inside\n  ^$A$$ -> Record\n";
    assert_eq!(parse(t, "abc\nabc def\n"), json!([{"a": "abc"}]));
}

#[test]
fn templates_are_checked_like_textfsm_does() {
    for (template, expected) in [
        ("Value A (x)\nStart\n  ^a\n", "line 2: expected a blank line after the last Value entry"),
        ("Start\n  ^a\n", "line 1: no Value definitions found"),
        ("Value A (x\n\nStart\n  ^a\n", "line 1: Value '(x' must be contained within a '()' pair"),
        ("Value A x\n\nStart\n  ^a\n", "line 1: unknown option \"A\""),
        ("Value Bogus A (x)\n\nStart\n  ^a\n", "line 1: unknown option \"Bogus\""),
        ("Value List,List A (x)\n\nStart\n  ^a\n", "line 1: duplicate option \"List\""),
        ("Value A (x)\nValue A (y)\n\nStart\n  ^a\n", "line 2: duplicate declarations for Value 'A'"),
        ("Value A (x)\n\nBegin\n  ^a\n", "missing state 'Start'"),
        ("Value A (x)\n\nStart\n  ^a -> Nowhere\n", "line 4: state 'Nowhere' not found, referenced in state 'Start'"),
        ("Value A (x)\n\nStart\n  ^a -> Continue Start\n", "line 4: a Continue action cannot change state"),
        ("Value A (x)\n\nStart\n  ^${B}\n", "line 4: duplicate or invalid variable substitution"),
        ("Value A (x)\n\nStart\n  ^a$\n", "line 4: duplicate or invalid variable substitution"),
        ("Value A (x)\n\nStart\n  ^${A}${A}\n", "line 4: invalid regular expression"),
        ("Value A (x)\n\nStart\n  ^(unclosed\n", "line 4: invalid regular expression"),
        ("Value A (x)\n\nStart\n^a\n", "line 4: missing white space or caret"),
        ("Value A (x)\n\nStart\n  ^a -> Next.Bogus\n", "line 4: badly formatted rule"),
        ("Value A (x)\n\nStart\n  ^a\n\nEnd\n  ^b\n", "line 6: the 'End' state must be empty"),
        ("Value A (x)\n\nStart\n  ^a\n\nStart\n  ^b\n", "line 6: duplicate state name: 'Start'"),
        ("Value A (x)\n\nRecord\n  ^a\n", "line 3: invalid state name: 'Record'"),
    ] {
        let error = refused(template);
        assert!(error.contains(expected), "{template:?}: {error}");
    }
}
