//! The shipped Claude Desktop config parses and starts all four servers on stdio.

#[test]
fn claude_desktop_config_starts_the_four_servers_on_stdio() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/claude-desktop/claude_desktop_config.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let config: serde_json::Value = serde_json::from_str(&text).unwrap();
    let servers = config["mcpServers"].as_object().expect("mcpServers");
    let mut skills: Vec<String> = servers
        .values()
        .map(|s| {
            assert_eq!(s["command"], "trailmesh");
            let args: Vec<&str> = s["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect();
            let mcp = args.iter().position(|a| *a == "mcp").expect("an `mcp` subcommand");
            assert_eq!(args.last(), Some(&"--stdio"), "{args:?}");
            args[mcp + 1].to_string()
        })
        .collect();
    skills.sort();
    assert_eq!(
        skills,
        [
            "behavior-analytics",
            "camera-inventory",
            "event-analyzer",
            "trail-builder"
        ]
    );
}
