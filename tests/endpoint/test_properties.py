"""Property-based: no input to the form or the API makes the service fail."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from report_endpoint import create_app

from conftest import HTTPS
from raised_limits import RAISED_CONFIG

text = st.text(max_size=400)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(text, children, max_size=5),
    max_leaves=20)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def make_client(tmp_path_factory):
    app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False,
                      "INSTANCE_PATH": tmp_path_factory.mktemp("instance"), **RAISED_CONFIG})
    return app.test_client()


@SETTINGS
@given(seen_on=text, urls=text, description=text, anonymous=st.sampled_from(["y", "", "no", None]),
       email=text, phone=text, name=text, website=st.sampled_from(["", "x"]), lang=st.sampled_from(["", "/km"]))
def test_report_form_never_fails(tmp_path_factory, seen_on, urls, description, anonymous, email, phone, name, website, lang):
    client = _clients.setdefault("form", make_client(tmp_path_factory))
    data = {"seen_on": seen_on, "urls": urls, "description": description, "email": email, "phone": phone,
            "name": name, "website": website}
    if anonymous is not None:
        data["anonymous"] = anonymous
    answer = client.post(f"{lang}/report/", data=data, base_url=HTTPS)
    assert answer.status_code in (201, 400)


@SETTINGS
@given(body=json_values)
def test_report_api_never_fails(tmp_path_factory, body):
    client = _clients.setdefault("api", make_client(tmp_path_factory))
    answer = client.post("/api/v1/reports", json=body)
    assert answer.status_code in (201, 400, 415)  # 415: JSON null sends no body at all
    assert answer.is_json


@SETTINGS
@given(body=json_values)
def test_status_api_never_fails(tmp_path_factory, body):
    client = _clients.setdefault("status", make_client(tmp_path_factory))
    answer = client.post("/api/v1/status", json=body if isinstance(body, dict) else {"reference": body})
    assert answer.status_code in (200, 400)


_clients: dict = {}
