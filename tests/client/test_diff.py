"""`berth diff`: exit 0 without changes, 1 with them (as `kubectl diff`), 3/4 on errors."""

from tests.client.conftest import shop, write


async def test_exit_codes_follow_the_changes(cli, tmp_path):
    path = write(tmp_path / "app.yaml", shop())
    new = await cli("diff", "-f", str(path))
    assert new.code == 1 and new.out.startswith("shop  create")
    assert (await cli("apply", "-f", str(path), "--no-wait")).code == 0
    same = await cli("diff", "-f", str(path))
    assert (same.code, same.out) == (0, "shop  no changes\n")
    changed = await cli("diff", "-f", str(write(tmp_path / "new.yaml", shop("nginx:1.28"))))
    assert changed.code == 1
    assert '  ~ /composeDefinition/containers/0/imageReference/identifier  "nginx:1.27" → "nginx:1.28"' in changed.out


async def test_large_values_are_shown_below_their_change_as_yaml(cli, tmp_path):
    body = {**shop(), "database": {"engine": "postgres"}}
    lines = (await cli("diff", "-f", str(write(tmp_path / "app.yaml", body)))).out.splitlines()
    start = lines.index("  + /composeDefinition")
    assert lines[start + 1:start + 5] == [
        "      containers:",
        "      - name: web",
        "        imageReference: {type: external, identifier: 'nginx:1.27'}",
        "        exposedPorts: [80]",
    ]
    database = lines.index("  + /database")
    assert lines[database + 1:database + 3] == [
        "      {engine: postgres, instanceClass: db.t4g.micro, storageGb: 20, multiAz: false}",
        "      RDS instance: created (master password generated into Secrets Manager)",
    ]
    assert "  + /minCapacity  1" in lines


async def test_json_output_is_the_plans(cli, tmp_path):
    ran = await cli("diff", "-o", "json", "-f", str(write(tmp_path / "app.yaml", shop(), shop(name="web"))))
    assert ran.code == 1
    plans = ran.json()["applications"]
    assert [(p["appName"], p["action"]) for p in plans] == [("shop", "create"), ("web", "create")]
    assert plans[0]["changes"][0]["path"] == "/composeDefinition"


async def test_bad_input_is_3_not_1(cli, tmp_path):
    ran = await cli("diff", "-f", str(write(tmp_path / "app.yaml", {"appName": "shop"})))
    assert ran.code == 3
    assert ran.err.startswith("berth: POST /api/v3/organizations/acme/applications/shop/plan: 400 Bad Request")
