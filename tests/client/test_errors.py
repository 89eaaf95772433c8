"""Every failure is one line on stderr with the API's problem+json detail and field
errors, and an exit code: 3 for bad input or usage, 4 for the API, never a traceback."""

import socket

from tests.client.conftest import berth, shop, write


async def test_an_invalid_body_names_every_bad_field(cli, tmp_path):
    bad = {"appName": "shop", "composeDefinition": {"containers": [{"name": "web"}], "taskCpu": 300}}
    ran = await cli("apply", "-f", str(write(tmp_path / "app.yaml", bad)))
    assert ran.code == 3
    assert ran.out == ""
    [line] = ran.err.splitlines()
    assert line.startswith("berth: POST /api/v3/organizations/acme/applications/shop/plan: 400 Bad Request: "
                           "The request body is invalid. (")
    assert "composeDefinition.containers.0.imageReference: Field required" in line
    assert "Traceback" not in ran.err


async def test_an_unknown_token_is_4_and_says_where_the_token_came_from(cli):
    ran = await cli("status", "--token", "nope")
    assert ran.code == 4
    assert ran.err == ("berth: GET /api/v3/organizations/acme/applications: 401 Unauthorized: "
                       "The API token is not valid. (the token came from --token)\n")


async def test_an_unknown_application_is_4(cli):
    ran = await cli("status", "nothing")
    assert ran.code == 4
    assert ran.err == "berth: GET /api/v3/organizations/acme/applications/nothing: 404 Not Found: Application not found\n"


async def test_an_unreachable_server_is_4(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    ran = await berth("status", "--server", f"http://127.0.0.1:{port}", "--token", "t", "--organisation", "acme")
    assert ran.code == 4
    assert ran.err.startswith(f"berth: cannot reach the API at http://127.0.0.1:{port}: ")
    assert len(ran.err.splitlines()) == 1


async def test_the_limit_answer_is_shown(cli, pool, tmp_path):
    await pool.execute("UPDATE organisations SET application_limit = 0")
    ran = await cli("apply", "-f", str(write(tmp_path / "app.yaml", shop())))
    assert ran.code == 4
    assert "403 Forbidden: Organisation has reached the maximum number of allowed applications (0/0)" in ran.err


async def test_files_that_are_not_applications(cli, tmp_path):
    cases = {
        "broken.yaml": ("a: [1", "not valid YAML"),
        "list.yaml": ("- 1\n- 2\n", "#1: an application must be a mapping (an object), not int"),
        "nameless.yaml": ("composeDefinition: {}\n", "appName is missing"),
        "broken.json": ("{", "not valid JSON"),
    }
    for name, (text, said) in cases.items():
        (tmp_path / name).write_text(text)
        ran = await cli("apply", "-f", str(tmp_path / name))
        assert ran.code == 3, name
        assert said in ran.err and len(ran.err.splitlines()) == 1, ran.err
    write(tmp_path / "twice.yaml", shop(), shop())
    assert "also in" in (await cli("diff", "-f", str(tmp_path / "twice.yaml"))).err
    missing = await cli("diff", "-f", str(tmp_path / "missing.yaml"))
    assert (missing.code, missing.err) == (3, f"berth: {tmp_path / 'missing.yaml'}: no such file or directory\n")


async def test_usage_errors_are_3():
    assert (await berth("apply")).code == 3  # -f is required
    assert (await berth("status", "-o", "yaml")).code == 3
