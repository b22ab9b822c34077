//! OpenAPI schemas of the domain types (feature `openapi`, used by the API to publish its
//! document). The newtypes parse on construction, so their schemas are written by hand to
//! say what the parser accepts (patterns, lengths, formats) rather than what the Rust type
//! wraps.

use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::{CommandList, Context, Host, JobId, Tag};

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

impl PartialSchema for JobId {
    fn schema() -> RefOr<Schema> {
        string()
            .format(Some(SchemaFormat::Custom("uuid".into())))
            .description(Some("A job's identity: a random UUID."))
            .examples([json!("0b6f3c2e-8a4d-4e55-9a51-3f1b2c7d9e10")])
            .into()
    }
}
impl ToSchema for JobId {}

impl PartialSchema for Host {
    fn schema() -> RefOr<Schema> {
        string()
            .min_length(Some(1))
            .max_length(Some(253))
            .pattern(Some(r"^\[?[A-Za-z0-9.:-]+\]?$"))
            .description(Some(
                "A device address: an IPv4 or IPv6 literal (brackets allowed) or an RFC 1123 host name \
                 (labels of 1-63 letters, digits or '-', not starting or ending with '-'; not all digits). \
                 Names are returned in lower case, addresses in their canonical form.",
            ))
            .examples([json!("10.0.0.1"), json!("core-sw1.example.net"), json!("2001:db8::1")])
            .into()
    }
}
impl ToSchema for Host {}

impl PartialSchema for Context {
    fn schema() -> RefOr<Schema> {
        string()
            .pattern(Some("^[A-Za-z0-9_-]{1,64}$"))
            .description(Some("Selects the queue (and the workers) a job runs on."))
            .examples([json!("default")])
            .into()
    }
}
impl ToSchema for Context {}

impl PartialSchema for Tag {
    fn schema() -> RefOr<Schema> {
        string()
            .min_length(Some(2))
            .max_length(Some(64))
            .pattern(Some("^[A-Za-z0-9_-][A-Za-z0-9_:-]*:[A-Za-z0-9_:-]*$"))
            .description(Some("A `key:value` tag: 1-64 letters, digits, '_', '-' or ':', with a ':' not in front."))
            .examples([json!("site:lon1")])
            .into()
    }
}
impl ToSchema for Tag {}

impl PartialSchema for CommandList {
    fn schema() -> RefOr<Schema> {
        let line = string()
            .min_length(Some(1))
            .max_length(Some(CommandList::MAX_LEN))
            .pattern(Some(r"^[^\x00-\x08\x0A-\x1F\x7F]*\S[^\x00-\x08\x0A-\x1F\x7F]*$"))
            .description(Some("One line without control characters (tab allowed), not blank."));
        ArrayBuilder::new()
            .items(line)
            .min_items(Some(1))
            .max_items(Some(CommandList::MAX))
            .description(Some("At least one line, none blank."))
            .examples([json!(["show version", "show ip interface brief"])])
            .into()
    }
}
impl ToSchema for CommandList {}

/// The `results` of a job document: what the device answered.
pub struct JobResults;

impl PartialSchema for JobResults {
    fn schema() -> RefOr<Schema> {
        let command = ObjectBuilder::new()
            .title(Some("CommandResults"))
            .description(Some(
                "send-command: each command's output, keyed by the command in the order sent; a command sent \
                 more than once is keyed `\"<command> [2]\"` and so on the second time.",
            ))
            .additional_properties(Some(AdditionalProperties::RefOr(string().into())))
            .examples([json!({"show version": "Cisco IOS Software, Version 15.2(4)M7\n"})]);
        let line = ObjectBuilder::new()
            .property("line", string())
            .required("line")
            .property("output", string())
            .required("output")
            .property("error", ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null])))
            .required("error")
            .description(Some("One configuration line: what the device answered, and why it was rejected (or null)."));
        let config = ObjectBuilder::new()
            .title(Some("ConfigResults"))
            .description(Some(
                "send-config: the whole session transcript, one entry per line sent, and on candidate \
                 platforms whether the candidate was committed or discarded.",
            ))
            .property("config_set_output", string())
            .required("config_set_output")
            .property("lines", ArrayBuilder::new().items(line))
            .required("lines")
            .property("candidate", string().enum_values(Some(["committed", "discarded"])))
            .examples([json!({
                "config_set_output": "configure terminal\nr1(config)#interface Loopback1\nr1(config-if)#end\nr1#",
                "lines": [{"line": "interface Loopback1", "output": "", "error": null}]
            })]);
        let record =
            ObjectBuilder::new().description(Some("One record: the template's values by name, in lower case."));
        let structured = ObjectBuilder::new()
            .title(Some("StructuredResults"))
            .description(Some(
                "send-command-structured: per command (keyed as for send-command), a list of records when a \
                 template parsed the output, the raw text otherwise (see `parsed`).",
            ))
            .additional_properties(Some(AdditionalProperties::RefOr(
                AnyOfBuilder::new().item(ArrayBuilder::new().items(record)).item(string()).into(),
            )))
            .examples([json!({"show ip interface brief": [{"interface": "Ethernet0/0", "ip_address": "10.0.0.1"}]})]);
        AnyOfBuilder::new()
            .item(config)
            .item(command)
            .item(structured)
            .description(Some("The device's answers; null until the job ends (and for most failures)."))
            .into()
    }
}
impl ToSchema for JobResults {}
