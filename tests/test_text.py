import pytest
from transformers import AutoTokenizer

from core.text import CharVocab, chunk_bounds, sentence_bounds


def covers(text, bounds, max_len):
    assert bounds[0][0] == 0 and bounds[-1][1] == len(text)
    for (s1, e1), (s2, _) in zip(bounds, bounds[1:]):
        assert e1 == s2
    assert all(0 < e - s <= max_len for s, e in bounds)


def test_long_text_is_cut_at_sentence_ends_and_offsets_cover_it():
    text = "我爱北京天安门。" * 40 + "没有标点的长句子" * 30
    bounds = chunk_bounds(text, 50)
    covers(text, bounds, 50)
    assert all(text[e - 1] == "。" for s, e in bounds[:-8] if e <= 320)


def test_hard_cut_when_there_is_no_punctuation():
    text = "字" * 1234
    bounds = chunk_bounds(text, 100)
    covers(text, bounds, 100)
    assert len(bounds) == 13


def test_sentence_bounds_keep_punctuation_with_its_sentence():
    text = "第一句。第二句！\n第三句"
    assert [text[s:e] for s, e in sentence_bounds(text, 100)] == ["第一句。", "第二句！", "\n", "第三句"]


def test_odd_characters_each_get_one_id(tiny_bert):
    vocab = CharVocab.for_encoder_folder(tiny_bert)
    text = "张三 loves 北京😀ＡＢ１２\u3000℃…\x07"
    ids = vocab.encode(text)
    assert len(ids) == len(text)
    # a character the vocabulary lacks folds by NFKC, then lowercase: ℂ -> C -> c
    assert "ℂ" not in vocab.chars and vocab.id_of("ℂ") == vocab.id_of("c") != vocab.unk
    assert vocab.id_of(" ") == vocab.id_of("\u3000") == vocab.space


def test_bert_vocab_matches_bert_tokenizer_on_chinese(tiny_bert):
    tokenizer = AutoTokenizer.from_pretrained(str(tiny_bert))
    vocab = CharVocab.for_encoder_folder(tiny_bert)
    text = "中华人民共和国成立于一九四九年"
    assert vocab.encode(text) == tokenizer(text, add_special_tokens=False)["input_ids"]


def test_chunk_rejects_zero_length():
    with pytest.raises(ValueError):
        chunk_bounds("abc", 0)
