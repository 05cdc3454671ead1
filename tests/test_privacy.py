"""The PII guard (`analysis.data.privacy.pii_columns`): identifying columns found by name and by content,
and drafted codebooks (`connlab codebook`) that mark them without writing their values."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import PROJECT_ROOT

from analysis.data.codebook import read_codebook
from analysis.data.codebook_draft import codebook_yaml, draft_codebook
from analysis.data.instrument_library import load_instrument
from analysis.data.privacy import PII_PATTERNS, pii_columns
from analysis.data.readers import read_table


def _content(values, name="answer") -> str | None:
    """The reason `pii_columns` gives for one text column (None: not flagged)."""
    return pii_columns(pd.DataFrame({name: pd.Series(values, dtype=object)})).get(name)


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("column", "reason"),
    [
        ("ip_addr", "IP address"), ("ipaddr", "IP address"), ("ip_address", "IP address"), ("IPAddress", "IP address"),
        ("IP", "IP address"), ("IPv4", "IP address"), ("client_ip", "IP address"),
        ("contact", "contact details"), ("contact_info", "contact details"), ("EmergencyContact", "contact details"),
        ("PartnerName", "person's name"), ("partner_name", "person's name"), ("spouse_name", "person's name"),
        ("FirstName", "person's name"), ("last_name", "person's name"), ("Surname", "person's name"),
        ("username", "person's name"), ("nickname", "person's name"), ("name", "person's name"),
        ("Name_A", "person's name"), ("initials", "person's name"),
        ("Q12_TEXT", "free-text answer (review)"), ("Q5_4_TEXT", "free-text answer (review)"),
        ("gender_4_TEXT", "free-text answer (review)"), ("open_text", "free-text answer (review)"),
        ("email", "e-mail address"), ("e_mail", "e-mail address"), ("E-Mail", "e-mail address"),
        ("mail", "e-mail address"), ("EmailAddress", "e-mail address"),
        ("RecipientEmail", "Qualtrics recipient field"), ("RecipientFirstName", "Qualtrics recipient field"),
        ("LocationLatitude", "location"), ("ExternalReference", "external reference"),
        ("phone", "phone number"), ("PhoneNumber", "phone number"), ("home_phone", "phone number"),
        ("cellphone", "phone number"), ("telephone", "phone number"),
        ("address", "address"), ("street", "address"), ("zip_code", "address"), ("postcode", "address"),
        ("ssn", "ID number"), ("passport_no", "ID number"),
        ("dob", "date of birth"), ("birth_date", "date of birth"), ("DateOfBirth", "date of birth"),
    ],
)  # fmt: skip
def test_identifying_names_are_flagged(column, reason):
    assert pii_columns([column]) == {column: reason}


@pytest.mark.parametrize(
    "column",
    ["filename", "file_name", "name_length", "item_name", "scale_name", "country_name", "hostname", "Yearsmar",
     "cuplid", "CoupleID", "contact_freq", "phone_free", "phone_use", "smartphone_use", "mobile", "item_text",
     "question_text", "birth_year", "recipient", "recipient_support", "relationship_quality", "partners",
     "partner.id", "firstid", "country", "dayOfWeek", "Partnum", "SelfPos_A", "mailing", "female", "Q12", "id"],
)  # fmt: skip
def test_ordinary_survey_names_are_not_flagged(column):
    assert pii_columns([column]) == {}


def test_names_only_when_given_names_and_patterns_are_valid():
    frame = pd.DataFrame({"reply": ["anna@example.org"] * 3, "email": ["x"] * 3})
    assert pii_columns(frame.columns) == {"email": "e-mail address"}  # names only: values are not seen
    assert pii_columns(frame) == {"reply": "content: e-mail addresses (3 of 3 values)", "email": "e-mail address"}
    assert len(PII_PATTERNS) >= 10


# --------------------------------------------------------------------------------------------
# Content
# --------------------------------------------------------------------------------------------
def test_email_addresses_are_flagged_even_once_in_free_text():
    answers = [f"answer number {i} about our week" for i in range(99)] + ["write to me: anna.muster@example.org"]
    assert _content(answers) == "content: e-mail addresses (1 of 100 values)"
    assert _content(["a.b@example.org", "c@uni.ch", "none", None, "d@e.com"]) == (
        "content: e-mail addresses (3 of 4 values)"
    )


@pytest.mark.parametrize(
    "values",
    [["203.0.113.7", "198.51.100.23", "192.0.2.1"],
     ["2001:db8::1", "fe80::1ff:fe23:4567:890a", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"]],
)  # fmt: skip
def test_ip_addresses_are_flagged(values):
    assert _content(values) == "content: IP addresses (3 of 3 values)"


@pytest.mark.parametrize(
    "phone",
    ["+41 44 123 45 67", "+41441234567", "(555) 123-4567", "555-123-4567", "555.123.4567", "0044 20 7946 0958",
     "044 123 45 67", "+1 (555) 123-4567", "020 7946 0958", "+44 (0)20 7946 0958"],
)  # fmt: skip
def test_phone_numbers_are_flagged(phone):
    assert _content([f"call {phone}", phone, f"{phone} (evenings)"]) == "content: phone numbers (3 of 3 values)"


def test_a_free_text_column_with_a_few_phone_numbers_is_flagged():
    answers = [f"we talked about day {i} and it went well" for i in range(97)]
    three = answers + ["ring me on 079 123 45 67", "+41 44 123 45 67 after six", "my cell (555) 123-4567"]
    assert _content(three).startswith("content: phone numbers (3 of 100 values)")
    # the rule: at least 3 values, or 20% of them; two in a hundred is not enough (e-mail: one is)
    assert _content(answers + ["ring me on 079 123 45 67", "+41 44 123 45 67 after six"]).startswith(
        "content: free text"
    )
    assert _content(["not today", "+41 44 123 45 67"]) == "content: phone numbers (1 of 2 values)"


def test_person_names_are_flagged_for_review():
    full = ["Anna Muster", "Ben Beispiel", "Cleo de la Cruz", "Muster, Anna", "Dmitri K. Ivanov"]
    assert _content(full) == "content: person names (5 of 5 values look like First Last, review)"
    diary = ["Went hiking with Maria today", "fine", "Argued with Tom about money", "Jonas called", "ok", "tired"]
    assert _content(diary) == "content: person names in free text (3 of 6 values name a person, review)"


def test_free_text_is_flagged_for_review():
    notes = ["We had a long talk about our week and it was good", "It was a tiring day at work for both of us",
             "we cooked dinner together and watched a film", "not much happened today honestly",
             "a quiet day at home with the kids"]  # fmt: skip
    assert _content(notes) == "content: free text (5 of 5 values of 4 words or more, review)"
    long = ["We met at a friend's wedding and talked all night long, then again the next day.",
            "Our first holiday together was a disaster and we still laugh about it."]  # fmt: skip
    assert _content(long) == "content: free text (2 of 2 values of 4 words or more, review)"


def test_mixed_notes_give_every_kind():
    notes = ["call me on +41 44 123 45 67", "my email is anna@example.org", "Maria was upset", "fine", "Tom said hi",
             "reach Ben at 555-123-4567", "nothing", "ok", "good day", "(555) 987-6543 anytime"]  # fmt: skip
    assert _content(notes) == (
        "content: e-mail addresses (1 of 10 values), phone numbers (3 of 10 values), "
        "person names in free text (3 of 10 values name a person, review)"
    )


@pytest.mark.parametrize(
    ("kind", "values"),
    [
        ("dates", ["2024-01-05", "2024-02-11", "2023-12-31", "05.01.2024", "05/01/2024", "2024-01-05 12:30:00",
                   "2024-01-05T12:30:00Z", "20240105"]),
        ("times", ["12:30", "08:15:00", "23:59", "1:05:33"]),
        ("Likert numbers", [str(i % 7 + 1) for i in range(200)]),
        ("decimals", ["3.14159", "2.5", "-1.25", "1,5", "1234567.891011", "0.000123456789", "1e-05"]),
        ("ids", ["1001", "1002", "1003", "000123456", "0012345678", "R_1a2B3cD4e5F6g7H", "P-0042", "4412345678"]),
        ("zip codes", ["8001", "90210", "90210-1234", "SW1A 1AA", "8001 Zürich", "75008"]),
        ("categories", ["Married", "Never Married", "Divorced", "Widowed", "Separated"] * 20),
        ("a few categories", ["Very Happy", "Pretty Happy", "Not Too Happy"]),
        ("frequencies", ["Sev Times a Week", "Once a Month", "2-3 per Week", "5-10 Partners", "Not at all"] * 10),
        ("agreement", ["Strongly agree", "Agree", "Neither agree nor disagree", "Disagree", "Strongly disagree"] * 5),
        ("country codes", ["US", "GB", "CA", "AU", "IN", "NA"] * 10),
        ("countries", ["United States", "United Kingdom", "Germany", "New Zealand", "South Africa", "Canada"] * 10),
        ("religion", ["Christian", "Muslim", "Jewish", "None", "Hindu"] * 10),
        ("money and ranges", ["$1,234.56", "CHF 5'000", "100k_125k", "1 000 000", "1-2", "10-20", "100-200"]),
        ("snake-case answers", ["fully_vaccinated_and_booster", "not_vaccinated", "once_or_twice_a_week"] * 5),
    ],
)  # fmt: skip
def test_ordinary_values_are_not_flagged(kind, values):
    assert _content(values) is None, kind


def test_instrument_item_wording_is_not_free_text():
    items = [item.text for item in load_instrument("cpi").items]
    assert len(items) == 16 and _content(items) is None  # one row per item
    assert _content(items * 30) is None  # long format: the item's wording on each row
    assert _content([t.replace("partner", "husband") + " Really." for t in items]).startswith("content: free text")


def test_numbers_are_not_screened():
    frame = pd.DataFrame({"phone_like": [41441234567, 5551234567, 442079460958], "sat": [1.5, 2.0, 7.0]})
    assert pii_columns(frame) == {}


def test_keep_true_is_the_only_override():
    frame = pd.DataFrame({"person": ["anna@example.org", "ben@example.org", "cleo@example.org"],
                          "email": ["a", "b", "c"], "sat": ["1", "2", "3"]})  # fmt: skip
    flagged = {"person": "content: e-mail addresses (3 of 3 values)", "email": "e-mail address"}
    assert pii_columns(frame) == flagged
    for role in ("id", "item", "score", "demographic", "metadata"):  # a wrong codebook cannot let them through
        assert pii_columns(frame, {"person": {"role": role}, "email": {"role": role}}) == flagged
    assert pii_columns(frame, {"person": {"role": "id", "keep": True}, "email": {"keep": True}}) == {}
    assert pii_columns(frame, {"person": {"keep": "yes"}}) == flagged  # only the boolean true keeps
    assert pii_columns(frame, {"sat": {"role": "pii"}, "email": {"role": "free_text"}}) == {
        "person": flagged["person"], "email": "codebook role free_text", "sat": "codebook role pii"}  # fmt: skip


def test_a_text_answer_column_says_what_it_holds():
    frame = pd.DataFrame({"Q12_TEXT": ["Anna Muster", "Ben Beispiel", "Cleo Meier"], "Q13_TEXT": ["ok", "fine", "-"]})
    assert pii_columns(frame) == {
        "Q12_TEXT": "content: person names (3 of 3 values look like First Last, review)",
        "Q13_TEXT": "free-text answer (review)",
    }


def test_large_columns_are_sampled_and_fast():
    rng = np.random.default_rng(1)
    n = 200_000
    frame = pd.DataFrame({
        "id": [str(i) for i in range(n)],
        "sat": rng.integers(1, 8, n).astype(str),
        "marital": rng.choice(["Married", "Never Married", "Divorced"], n),
        "host": [f"10.{i % 250}.{i % 199}.{i % 97}" for i in range(n)],
        "when": pd.Series(pd.date_range("2020-01-01", periods=n, freq="min").astype(str)),
    })  # fmt: skip
    frame.loc[150_000, "sat"] = "write to zed@example.org"  # every value is checked for e-mail addresses
    start = time.perf_counter()
    found = pii_columns(frame)
    assert time.perf_counter() - start < 20  # about a second; generous for a busy machine
    assert found == {"sat": "content: e-mail addresses (1 of 200,000 values)",
                     "host": "content: IP addresses (2,000 of 2,000 sampled values)"}  # fmt: skip
    assert pii_columns(frame) == found  # the sample is the same on every run


# --------------------------------------------------------------------------------------------
# Real data: nothing there identifies people, so nothing may be flagged
# --------------------------------------------------------------------------------------------
def test_shared_and_demo_data_columns_are_not_flagged(shared_data, small_demo):
    files = sorted(shared_data.glob("*/*.csv")) + sorted(small_demo.glob("*.csv"))  # the demo survey, simulated
    assert len(files) >= 16
    flagged, screened = {}, 0
    for path in files:
        frame = read_table(path).frame
        screened += frame.shape[1]
        flagged.update({(path.parent.name, path.name, c): r for c, r in pii_columns(frame).items()})
    assert screened > 350  # 388 columns in 16 files
    assert flagged == {}  # exactly: no column of the 13 shared data sets or the demo survey
    codebooks = sorted((PROJECT_ROOT / "studies" / "codebooks").glob("*.yaml"))
    assert codebooks
    for path in codebooks:  # with the project's codebooks (roles id, item, score, demographic, ...)
        for tname, table in read_codebook(path)["tables"].items():
            frame = read_table(path.parent / table["file"], format=table.get("format")).frame
            assert pii_columns(frame, table["variables"]) == {}, (path.name, tname)
    sat = read_table(shared_data / "acitelli_couples" / "data.csv").frame.astype(str)
    sat.loc[5, "satisfaction"] = "a.b@example.org"  # and a real column with one address in it is caught
    assert pii_columns(sat) == {"satisfaction": "content: e-mail addresses (1 of 296 values)"}


# --------------------------------------------------------------------------------------------
# Drafted codebooks
# --------------------------------------------------------------------------------------------
PII_VALUES = {
    "ip_addr": ["203.0.113.7", "198.51.100.23", "192.0.2.44", "2001:db8::8a2e:370:7334"],
    "contact": ["anna.muster@example.org", "ben.beispiel@example.com", "cleo@uni-example.ch", "dora.k@example.net"],
    "PartnerName": ["Anna Muster", "Ben Beispiel", "Cleo Meier", "Dora Keller"],
    "Q12_TEXT": [f"{first} {last}" for first in ("Emil", "Fatima", "Jonas", "Lena", "Ivan", "Priya")
                 for last in ("Frei", "Sahin", "Weber", "Graf")],  # 24 different names
    "notes": ["Talked to Maria about the move", "call me on +41 44 123 45 67", "ok", "email zed.q@example.org",
              "Tom was away", "(555) 123-4567 after six"],
}  # fmt: skip
SECRETS = ["203.0.113", "198.51.100", "192.0.2", "2001:db8", "example.", "@", "Muster", "Beispiel", "Meier",
           "Keller", "Fatima", "Priya", "Sahin", "Weber", "Graf", "Maria", "Tom was", "123 45 67", "123-4567",
           "zed.q"]  # fmt: skip


@pytest.fixture
def pii_survey(tmp_path):
    n = 24
    rows = {
        "id": list(range(101, 101 + n)),
        "sat": [(i * 3) % 7 + 1 for i in range(n)],
        "age": [20 + (i * 7) % 40 for i in range(n)],
        "gender": ["woman" if i % 2 else "man" for i in range(n)],
    }
    for col, values in PII_VALUES.items():
        rows[col] = [values[i % len(values)] for i in range(n)]
    path = tmp_path / "pilot.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_drafted_codebook_marks_pii_and_never_lists_its_values(pii_survey, tmp_path):
    codebook = draft_codebook(pii_survey)
    variables = codebook["tables"]["data"]["variables"]
    assert {c for c, s in variables.items() if s.get("role") == "pii"} == set(PII_VALUES)
    for col in PII_VALUES:
        assert set(variables[col]) <= {"type", "role", "label"}, col  # no values, range, labels or codes
    assert variables["id"]["role"] == "id" and "role" not in variables["sat"]
    assert variables["gender"]["values"] == ["man", "woman"] and variables["age"]["range"] == [20, 59]
    guesses = {g["variable"]: g["guess"] for g in codebook["_guesses"] if g["variable"] in PII_VALUES}
    assert guesses["contact"].startswith("identifies people (contact details): dropped before analysis")
    assert guesses["ip_addr"].startswith("identifies people (IP address)")
    assert "person names" in guesses["Q12_TEXT"] and "review" in guesses["Q12_TEXT"]
    assert guesses["notes"].startswith("identifies people (content: e-mail addresses (4 of 24 values), phone numbers")
    text = codebook_yaml(codebook, pii_survey)
    for secret in SECRETS:
        assert secret not in text, secret
    assert "# guessed: identifies people (content: e-mail addresses" in text
    saved = tmp_path / "codebook.yaml"
    saved.write_text(text, encoding="utf-8")
    read = read_codebook(saved)["tables"]["data"]["variables"]
    frame = read_table(pii_survey).frame
    assert pii_columns(frame, read) == dict.fromkeys(PII_VALUES, "codebook role pii")
    assert pii_columns(frame, {c: {k: v for k, v in s.items() if k != "role"} for c, s in read.items()}) == {
        "ip_addr": "IP address",
        "contact": "contact details",
        "PartnerName": "person's name",
        "Q12_TEXT": "content: person names (24 of 24 values look like First Last, review)",
        "notes": "content: e-mail addresses (4 of 24 values), phone numbers (8 of 24 values), person names in free "
                 "text (8 of 24 values name a person, review)",
    }  # fmt: skip


def test_drafted_free_text_is_free_text_without_values(tmp_path):
    path = tmp_path / "diary.csv"
    notes = ["We had a long talk about our week and it was good", "It was a tiring day at work for both of us",
             "we cooked dinner together and watched a film", "not much happened today honestly",
             "a quiet day at home with the kids", "Nothing special, a normal evening at home"]  # fmt: skip
    pd.DataFrame({"person_id": range(1, 7), "mood": [3, 4, 2, 5, 4, 3], "comment": notes}).to_csv(path, index=False)
    codebook = draft_codebook(path)
    assert codebook["tables"]["data"]["variables"]["comment"] == {"type": "string", "role": "free_text"}
    text = codebook_yaml(codebook, path)
    assert "# guessed: free text (content: free text (6 of 6 values of 4 words or more, review))" in text
    assert not any(note[:12] in text for note in notes)


def test_no_pii_reaches_processed_files(pii_survey, tmp_path):
    from analysis import load_dataset
    from analysis.data.dataset import write_processed

    hostile = tmp_path / "hostile.yaml"  # every column given an ordinary role: screening still drops them
    variables = {c: {"type": "string", "role": "demographic"} for c in PII_VALUES}
    variables |= {"id": {"type": "integer", "role": "id"}, "sat": {"type": "integer"}, "age": {"type": "integer"},
                  "gender": {"type": "string"}}  # fmt: skip
    codebook = {"dataset": "pilot", "tables": {"data": {"file": pii_survey.name, "variables": variables}}}
    hostile.write_text(yaml.safe_dump(codebook), encoding="utf-8")
    for codebook in (None, hostile):
        ds = load_dataset(pii_survey, codebook=codebook)
        assert ds.removed_columns["column"].tolist() == list(PII_VALUES)
        assert list(ds.table().columns) == ["id", "sat", "age", "gender"]
        out = write_processed(ds, tmp_path / f"processed_{'none' if codebook is None else 'hostile'}")
        for path in out.rglob("*"):
            if path.is_file():
                text = path.read_text(encoding="utf-8")
                assert not [s for s in SECRETS if s in text], path.name
