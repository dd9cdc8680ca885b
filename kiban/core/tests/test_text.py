from kiban.core.text import bigrams, normalize, reading_sort_key, to_katakana_reading


def test_kana_width_and_case_fold_to_one_form():
    assert normalize("ﾀｶﾊｼ") == normalize("たかはし") == normalize("タカハシ") == "たかはし"
    assert normalize("ＹＡＭＡＤＡ") == "yamada"


def test_voiced_marks_typed_separately_compose():
    assert normalize("ﾊｾｶﾞﾜ") == normalize("ハセカ゛ワ") == "はせがわ"


def test_variant_kanji_in_names_fold():
    assert normalize("髙橋") == normalize("高橋")
    assert normalize("山﨑") == normalize("山崎")
    assert normalize("齋藤") == normalize("斎藤") == normalize("斉藤")
    assert normalize("渡邊") == normalize("渡邉") == normalize("渡辺")


def test_reading_is_stored_as_full_width_katakana():
    assert to_katakana_reading("やまだ") == "ヤマダ"
    assert to_katakana_reading("ﾔﾏﾀﾞ") == "ヤマダ"


def test_gojuon_sort_key_orders_by_reading():
    names = [("ワタナベ", "ケン"), ("アベ", "ジロウ"), ("サトウ", "ハナコ")]
    ordered = sorted(names, key=lambda n: reading_sort_key(*n))
    assert ordered == [("アベ", "ジロウ"), ("サトウ", "ハナコ"), ("ワタナベ", "ケン")]


def test_bigrams_overlap_per_word():
    assert bigrams("じんじ 課") == ["じん", "んじ", "課"]
