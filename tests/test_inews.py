"""The modern news corpus builder: what it keeps, and that no test sentence ever gets through."""
import pickle

import pytest

from core.data import inews


def _write(folder, split, titles, contents):
    (folder / f"{split}.pkl").write_bytes(pickle.dumps((titles, contents, [0] * len(titles))))


@pytest.fixture
def package(tmp_path):
    shared = "国家统计局今天发布了最新的经济数据。"
    _write(tmp_path, "train",
           ["特斯拉在上海建厂的消息传出", "广告"],
           [f"埃隆·马斯克昨天抵达北京。{shared}\\n这是第二段的第一句话，很长很长！ok",
            "点击这里 http://example.com/abc 免费领取"])
    _write(tmp_path, "dev", ["特斯拉在上海建厂的消息传出"], ["华为公司在深圳发布了新手机；价格不菲。"])
    _write(tmp_path, "test", ["测试集的标题不能出现"], [f"{shared}测试集独有的一句话也不能出现。"])
    return tmp_path


def test_builder_never_yields_a_test_sentence(package):
    sentences, stats = inews.build_sentences(package)
    test_sentences = set(inews.split_sentences(package / "test.pkl"))
    assert "国家统计局今天发布了最新的经济数据。" in test_sentences
    assert not test_sentences & set(sentences)
    assert stats["train"]["also_in_test"] == 1


def test_builder_cuts_titles_and_contents_and_drops_duplicates(package):
    sentences, stats = inews.build_sentences(package)
    assert sentences == ["特斯拉在上海建厂的消息传出", "埃隆·马斯克昨天抵达北京。",
                         "这是第二段的第一句话，很长很长！", "华为公司在深圳发布了新手机；"]
    # 价格不菲。 has 5 characters (under 8); the dev title repeats train's and is kept once.
    assert stats["dev"] == {"sentences": 2, "unique": 2, "also_in_test": 0}
    assert stats["kept"]["sentences"] == 4


def test_whitespace_is_normalised_and_mostly_latin_lines_dropped():
    assert inews.sentences_of("今天\u3000 上午  十点开会了吗？") == ["今天 上午 十点开会了吗？"]
    assert inews.sentences_of("Apple releases the new iPhone 15 today。") == []
    assert inews.sentences_of("太短了。") == []


def test_pickles_naming_globals_are_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("ran",))

    (tmp_path / "train.pkl").write_bytes(pickle.dumps(([Evil()], [], [])))
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        inews.load_split(tmp_path / "train.pkl")


def test_prepared_corpus_holds_no_test_sentence_of_the_installed_package():
    path = inews.sentences_path()
    if not path.is_file():
        pytest.fail(f"{path} is missing: the set-up (python -m core prepare) builds it")
    held_out = set(inews.split_sentences(inews.package_dir() / "test.pkl"))
    with open(path, encoding="utf-8") as stream:
        kept = [line.rstrip("\n") for line in stream]
    assert len(kept) > 100_000
    assert not held_out & set(kept)
