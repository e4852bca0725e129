"""The HTTP service (service/): a real uvicorn over the real app and a tiny model trained in the test."""
import json
import threading

import pytest
from serving import call, serving
from starlette.requests import Request

from service.access import caller
from service.app import build_app
from service.source import ModelSource

TEXT = "张三在上海工作。😀王五去了广州"


@pytest.fixture(scope="module")
def source(tiny_model):
    return ModelSource(folder=tiny_model)


@pytest.fixture(scope="module")
def url(source):
    with serving(build_app(source, max_chars=2_000)) as base:
        yield base


def test_tag_gives_the_taggers_entities_with_code_point_offsets_and_the_version(url, source, tiny_model):
    status, answer = call(f"{url}/v1/tag", {"texts": [TEXT, "联合国总部在纽约"]})
    assert status == 200
    expected = source.current().tagger.tag_texts([TEXT, "联合国总部在纽约"])
    assert [r["model_version"] for r in answer["results"]] == [tiny_model.name] * 2
    for got, want in zip(answer["results"], expected):
        assert [(e["start"], e["end"], e["label"], e["text"]) for e in got["entities"]] == \
            [(e.start, e.end, e.label, e.text) for e in want.entities]
        assert all(TEXT[e["start"]:e["end"]] == e["text"] for e in answer["results"][0]["entities"])
    assert answer["results"][0]["entities"], "the tiny model tags its own training sentences"


def test_an_empty_list_gets_an_empty_answer(url):
    assert call(f"{url}/v1/tag", {"texts": []}) == (200, {"results": []})


def test_bad_json_and_wrong_shapes_are_422(url):
    assert call(f"{url}/v1/tag", raw=b'{"texts": ["a"')[0] == 422
    assert call(f"{url}/v1/tag", {"texts": "not a list"})[0] == 422
    assert call(f"{url}/v1/tag", {"text": ["a"]})[0] == 422
    assert call(f"{url}/v1/tag", raw=b'{"texts": ["\\ud800"]}')[0] == 422  # a lone surrogate half


def test_over_the_size_limit_is_413_and_the_service_goes_on(url):
    status, answer = call(f"{url}/v1/tag", {"texts": ["北" * 1_500, "京" * 600]})
    assert status == 413 and "2,000" in answer["detail"]
    assert call(f"{url}/v1/tag", raw=b'{"texts": ["' + b"a" * 100_000 + b'"]}')[0] == 413  # over the byte limit
    assert call(f"{url}/v1/tag", {"texts": ["张三"]})[0] == 200


def test_odd_texts_do_not_break_the_worker(url):
    odd = ["", " ", "\x00\r\t", "😀" * 50, "Tim Cook　在北京", "a" * 600]
    status, answer = call(f"{url}/v1/tag", {"texts": odd})
    assert status == 200 and len(answer["results"]) == len(odd)
    assert call(f"{url}/v1/tag", {"texts": [TEXT]})[0] == 200


def test_concurrent_requests_share_batches(url, source):
    before = dict(call(f"{url}/v1/health")[1])
    answers, start = [], threading.Barrier(12)

    def client(i):
        start.wait()
        answers.append(call(f"{url}/v1/tag", {"texts": [TEXT * 3, f"{i}号张三在上海"]}))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(12)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    after = call(f"{url}/v1/health")[1]
    assert [status for status, _ in answers] == [200] * 12
    assert after["requests"] - before["requests"] == 12
    assert after["batches"] - before["batches"] < 12  # some requests rode in the same batch


def test_health_and_model_describe_what_is_served(url, tiny_model):
    status, health = call(f"{url}/v1/health")
    assert status == 200 and health["status"] == "ok" and health["model_version"] == tiny_model.name
    status, model = call(f"{url}/v1/model")
    assert status == 200 and model["types"] == ["PER", "LOC", "ORG", "T"] and model["name"] == tiny_model.name
    assert "openapi" in call(f"{url}/openapi.json")[1]


def test_without_accounts_only_loopback_callers_are_served(url):
    def request(host):
        app = type("App", (), {"state": type("State", (), {"studio": None})})()
        return Request({"type": "http", "headers": [], "client": (host, 5000), "app": app})

    assert caller(request("127.0.0.1")) == "local" and caller(request("::1")) == "local"
    with pytest.raises(Exception) as refused:
        caller(request("192.168.1.20"))
    assert refused.value.status_code == 403 and "no accounts" in refused.value.detail


def test_the_licence_notes_come_from_the_card(tmp_path):
    from service.source import licence_notes

    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# M\n\n- **Use**: x\n- **Licences of what it learned from**: MSRA: research use.\n"
                    "  Use this model for research only.\n\n## Scores\n", encoding="utf-8")
    assert licence_notes(card) == ("- **Licences of what it learned from**: MSRA: research use. "
                                   "Use this model for research only.")
    assert json.dumps(licence_notes(tmp_path / "none.md")) == "null"
