//! `POST /v2/send-command-structured` end to end (HTTPS → NATS → worker → simulated
//! device): outputs come back as records parsed with the ntc-templates index (installed
//! into the project venv by scripts/bootstrap.sh) or with the caller's own template; an
//! output no template parses stays text and is flagged; a template that does not compile
//! is refused at submission.

use naas_sim::DeviceSpec;
use naas_tests::{Stack, StackOptions};
use serde_json::{Value, json};

const USER: &str = "netops";
const PASS: &str = "s3cret-pw";
const COMMANDS: [&str; 3] = ["show version", "show ip interface brief", "show interfaces"];

/// The `templates` directory of the ntc-templates package in the project venv.
fn ntc_templates() -> String {
    let lib = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/lib");
    let found = std::fs::read_dir(&lib)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("site-packages/ntc_templates/templates"))
        .find(|p| p.join("index").is_file());
    let dir = found.expect("ntc-templates is not installed in .tools/venv: run scripts/bootstrap.sh");
    dir.display().to_string()
}

async fn stack(with_templates: bool) -> Stack {
    let settings: fn(&mut naas_shared::config::Settings) = match with_templates {
        true => |s| s.structured.templates_dir = ntc_templates(),
        false => |_| {},
    };
    Stack::start(StackOptions {
        devices: vec![
            DeviceSpec::cisco_ios("r1", USER, PASS, PASS),
            DeviceSpec::new("arista_eos", "sw1", USER, PASS, ""),
        ],
        settings,
        ..Default::default()
    })
    .await
}

fn body(stack: &Stack, host: &str, platform: &str, commands: &[&str]) -> Value {
    let port = stack.device(host).addr.port();
    json!({"host": "127.0.0.1", "port": port, "platform": platform, "commands": commands})
}

/// Submits to send-command-structured and waits for the terminal document.
async fn run(stack: &Stack, body: Value) -> Value {
    let response = stack.post("/v2/send-command-structured", USER, PASS, &body).await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let accepted: Value = response.json().await.unwrap();
    let doc = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    assert_eq!(doc["status"], "finished", "{doc}");
    doc
}

fn records<'a>(doc: &'a Value, command: &str) -> &'a Vec<Value> {
    doc["results"][command].as_array().unwrap_or_else(|| panic!("{command}: not records: {doc}"))
}

fn column<'a>(rows: &'a [Value], name: &str) -> Vec<&'a str> {
    rows.iter().map(|r| r[name].as_str().unwrap_or_else(|| panic!("{name} in {r}"))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn structured_outputs_of_cisco_ios_and_arista_eos_become_records() {
    let stack = stack(true).await;

    let doc = run(&stack, body(&stack, "r1", "cisco_ios", &COMMANDS)).await;
    assert_eq!(doc["parsed"], json!({"show version": true, "show ip interface brief": true, "show interfaces": true}));
    let version = records(&doc, "show version");
    assert_eq!(version.len(), 1);
    assert_eq!(version[0]["version"], "15.9(3)M4");
    assert_eq!(version[0]["hostname"], "r1");
    assert_eq!(version[0]["software_image"], "VIOS-ADVENTERPRISEK9-M");
    assert_eq!(version[0]["config_register"], "0x2102");
    assert_eq!(version[0]["hardware"], json!(["IOSv"]), "List values are arrays");
    let brief = records(&doc, "show ip interface brief");
    let names = ["GigabitEthernet0/0", "GigabitEthernet0/1", "GigabitEthernet0/2", "GigabitEthernet0/3"];
    assert_eq!(column(brief, "interface"), names);
    assert_eq!(
        column(brief, "status"),
        ["up", "administratively down", "administratively down", "administratively down"]
    );
    let address = brief[0]["ip_address"].as_str().unwrap();
    assert!(address.starts_with("10.") && address.ends_with(".1"), "{address}");
    assert_eq!(brief[1]["ip_address"], "unassigned");
    let interfaces = records(&doc, "show interfaces");
    assert_eq!(column(interfaces, "interface"), names);
    assert_eq!(interfaces[0]["ip_address"], address, "the same address in both commands");
    assert_eq!(interfaces[0]["prefix_length"], "24");
    assert_eq!(interfaces[0]["link_status"], "up");
    assert_eq!(interfaces[2]["link_status"], "administratively down");
    assert_eq!(interfaces[0]["mtu"], "1500");

    let doc = run(&stack, body(&stack, "sw1", "arista_eos", &COMMANDS)).await;
    assert_eq!(doc["parsed"], json!({"show version": true, "show ip interface brief": true, "show interfaces": true}));
    let version = records(&doc, "show version");
    assert_eq!(version.len(), 1);
    assert_eq!(version[0]["model"], "vEOS-lab");
    assert_eq!(version[0]["image"], "4.28.0F");
    assert_eq!(version[0]["total_memory"], "4002220");
    let brief = records(&doc, "show ip interface brief");
    assert_eq!(column(brief, "interface"), ["Ethernet2", "Loopback0", "Management1"]);
    let addresses = column(brief, "ip_address");
    assert!(addresses[0].starts_with("192.0.2.") && addresses[0].ends_with("/31"), "{addresses:?}");
    assert!(addresses[1].starts_with("10.255.") && addresses[1].ends_with("/32"), "{addresses:?}");
    assert_eq!(column(brief, "mtu"), ["1500", "65535", "1500"]);
    let interfaces = records(&doc, "show interfaces");
    assert_eq!(column(interfaces, "interface"), ["Ethernet1", "Ethernet2", "Ethernet3", "Loopback0", "Management1"]);
    assert_eq!(interfaces[1]["ip_address"], addresses[0], "the same address in both commands");
    assert_eq!(interfaces[0]["ip_address"], "", "a switched port has none");
    assert_eq!(interfaces[0]["mtu"], "9214");
    assert_eq!(interfaces[3]["hardware_type"], "Loopback");
    assert_eq!(interfaces[4]["protocol_status"], "up (connected)");

    // Abbreviated commands find their templates too; GET on the job shows the same.
    let response = stack
        .post("/v2/send-command-structured", USER, PASS, &body(&stack, "r1", "cisco_ios", &["sh ip int br"]))
        .await;
    let id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    stack.result_of(&id).await;
    let doc: Value = stack.get(&format!("/v2/send-command-structured/{id}"), USER, PASS).await.json().await.unwrap();
    assert_eq!(doc["parsed"], json!({"sh ip int br": true}), "{doc}");
    assert_eq!(records(&doc, "sh ip int br").len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn structured_own_template_and_fallback_to_text() {
    let stack = stack(true).await;

    // No template for `show privilege`: its output stays text, flagged; the rest parses.
    let doc = run(&stack, body(&stack, "r1", "cisco_ios", &["show privilege", "show version"])).await;
    assert_eq!(doc["parsed"], json!({"show privilege": false, "show version": true}));
    assert!(doc["results"]["show privilege"].as_str().unwrap().contains("Current privilege level is 15"), "{doc}");
    assert_eq!(records(&doc, "show version")[0]["version"], "15.9(3)M4");

    // The caller's template is used for every command, instead of the index.
    let template = "Value INTERFACE (\\S+)\nValue STATUS (up|administratively down)\n\nStart\n  \
                    ^${INTERFACE}\\s+\\S+\\s+YES\\s+\\S+\\s+${STATUS}\\s+\\S+\\s*$$ -> Record\n";
    let mut request = body(&stack, "r1", "cisco_ios", &["show ip interface brief", "show version"]);
    request["textfsm_template"] = json!(template);
    let doc = run(&stack, request).await;
    assert_eq!(doc["parsed"], json!({"show ip interface brief": true, "show version": false}));
    let rows = records(&doc, "show ip interface brief");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0], json!({"interface": "GigabitEthernet0/0", "status": "up"}), "only the template's values");
    assert!(doc["results"]["show version"].as_str().unwrap().contains("Cisco IOS Software"));

    // `template` is accepted as well; a template ending in Error leaves the output as text.
    let mut request = body(&stack, "sw1", "arista_eos", &["show version"]);
    request["template"] = json!("Value MODEL (\\S+)\n\nStart\n  ^Arista\\s+${MODEL}\n  ^Hardware -> Error\n");
    let doc = run(&stack, request).await;
    assert_eq!(doc["parsed"], json!({"show version": false}));
    assert!(doc["results"]["show version"].as_str().unwrap().starts_with("Arista vEOS-lab"));

    // Plain send-command is unchanged: text, no `parsed`.
    let accepted = stack.submit_command(USER, PASS, &body(&stack, "r1", "cisco_ios", &["show version"])).await;
    let doc = stack.result_of(accepted["job_id"].as_str().unwrap()).await;
    assert!(doc["results"]["show version"].is_string() && doc.get("parsed").is_none(), "{doc}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn structured_refuses_a_bad_template_and_runs_nothing_without_templates() {
    let stack = stack(false).await;
    let mut request = body(&stack, "r1", "cisco_ios", &["show version"]);
    request["textfsm_template"] = json!("Value VERSION (\\S+)\n\nStart\n  ^Version ${VERSION} -> Nowhere\n");
    let response = stack.post("/v2/send-command-structured", USER, PASS, &request).await;
    assert_eq!(response.status(), 422);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["code"], "VALIDATION_FAILED", "{error}");
    assert_eq!(error["fields"][0]["field"], "textfsm_template", "{error}");
    let message = error["fields"][0]["message"].as_str().unwrap();
    assert!(message.contains("line 4") && message.contains("Nowhere"), "{message}");

    let mut request = body(&stack, "r1", "cisco_ios", &["show version"]);
    request["template"] = json!(42);
    let response = stack.post("/v2/send-command-structured", USER, PASS, &request).await;
    assert_eq!(response.status(), 422);
    assert_eq!(response.json::<Value>().await.unwrap()["fields"][0]["field"], "template");

    // This worker has no templates index: a job without its own template fails before
    // anything is sent to the device.
    let response =
        stack.post("/v2/send-command-structured", USER, PASS, &body(&stack, "r1", "cisco_ios", &COMMANDS)).await;
    let id = response.json::<Value>().await.unwrap()["job_id"].as_str().unwrap().to_owned();
    let doc = stack.result_of(&id).await;
    assert_eq!((doc["status"].as_str(), doc["error_code"].as_str()), (Some("failed"), Some("INTERNAL")), "{doc}");
    assert!(doc["error"].as_str().unwrap().contains("structured.templates_dir"), "{doc}");
    assert!(stack.command_log.entries_for("r1").iter().all(|e| e.command != "show version"));

    // With its own template it runs.
    let mut request = body(&stack, "r1", "cisco_ios", &["show version"]);
    request["textfsm_template"] = json!("Value HOST (\\S+)\n\nStart\n  ^${HOST}\\s+uptime\\s+is -> Record\n");
    let doc = run(&stack, request).await;
    assert_eq!(doc["results"]["show version"], json!([{"host": "r1"}]));
}
