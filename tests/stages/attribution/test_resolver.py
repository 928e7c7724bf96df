"""Who said it: pronouns, descriptions, headline conventions, channels and refusals, on sentences written for these
tests in the shapes real news takes, with the real parser."""

from __future__ import annotations

import pytest
from spacy.tokens import Span as SpacySpan

from sourcetrace import analyze
from sourcetrace.analysis import Attribution, Span, Speaker
from sourcetrace.pipeline.backbone import load_spacy
from sourcetrace.stages.attribution.resolver import ArticleMentions
from sourcetrace.stages.attribution.rules import Lexicon, quote_regions
from sourcetrace.stages.attribution.stage import _first_person_speakers

STAGES = ("backbone", "attribution")


def _analyse(text: str, stages: tuple[str, ...] = STAGES):
    return analyze(text, id="t", stages=stages)


def _by_source(analysis, source: str):
    found = [a for a in analysis.attributions if a.source is not None and a.source.text == source]
    assert found, repr([(a.source and a.source.text, a.cue and a.cue.text) for a in analysis.attributions])
    return found[0]


def _mentions(text: str) -> ArticleMentions:
    return ArticleMentions(load_spacy()(text), text, quote_regions(text), Lexicon())


def _speaker(analysis, source: str) -> str | None:
    speaker = _by_source(analysis, source).speaker
    return speaker.name if speaker is not None else None


# --- "he" goes to the last person mentioned, not the last speaker introduced ------------------------------------
def test_he_goes_to_the_last_person_mentioned_not_the_last_speaker():
    analysis = _analyse(
        "Finance Minister Tomas Berger said the budget was balanced. On Friday, opposition leader Marek Halloran "
        "toured the port of Gdynia with local officials.\n\n"
        "\"We will rebuild these docks. Every one of them,\" he said.")
    he = _by_source(analysis, "he")
    assert he.speaker.name == "Marek Halloran"
    assert he.speaker.resolved_from == "pronoun"
    assert he.speaker.mention.text == "Marek Halloran"
    assert he.source_kind == "pronoun"


def test_a_name_inside_the_quote_is_not_the_pronoun_s_antecedent():
    analysis = _analyse(
        "Deputy Mayor Paul Renner opened the session. \"Anna Kowalczyk has no plan for the river,\" he said.")
    assert _speaker(analysis, "he") == "Paul Renner"


def test_she_skips_a_man_and_follows_the_woman_across_sentences():
    analysis = _analyse(
        "Prosecutor James Whitfield asked for a ten-year sentence. Defense lawyer Maria Santos said her client had "
        "been misled. She added that the documents were forged.")
    assert _speaker(analysis, "She") == "Maria Santos"


# --- an unknown first name keeps its personhood, and its unknown gender is no evidence -------------------------
def test_a_person_the_parser_calls_a_place_is_still_the_one_she_stands_for():
    analysis = _analyse(
        "Prime Minister Viktor Orban spoke first at the meeting. Then Temitope Adeyemi, a market trader from "
        "Lagos, stood up. She said: \"We cannot afford bread any more.\"")
    assert _speaker(analysis, "She") == "Temitope Adeyemi"


def test_an_org_labelled_name_that_speaks_with_a_pronoun_nearby_is_a_person():
    nlp = load_spacy()
    text = ("President Vladimir Putin spoke on Monday. Olena Marchuk said the shelling destroyed her house. "
            "She said the family had nowhere to go.")
    doc = nlp(text)
    start = text.index("Olena")
    name = doc.char_span(start, start + len("Olena Marchuk"))
    doc.ents = [e for e in doc.ents if e.end <= name.start or e.start >= name.end] + [
        SpacySpan(doc, name.start, name.end, label="ORG")]
    mentions = ArticleMentions(doc, text, quote_regions(text), Lexicon())
    she = text.rindex("She")
    answered, antecedent = mentions.pronoun(she, she + 3)
    assert answered and antecedent is not None
    assert antecedent.entity.name == "Olena Marchuk"
    assert antecedent.entity.kind == "named_person"


# --- descriptions link to the people the article names -----------------------------------------------------------
@pytest.mark.parametrize(("text", "source", "name"), [
    ("Foreign Minister Anders Lund met his Estonian counterpart on Monday. The country's top diplomat said the talks "
     "had been useful.", "The country's top diplomat", "Anders Lund"),
    ("Senator Rachel Kim introduced the bill in March. The lawmaker said it would pass before the summer.",
     "The lawmaker", "Rachel Kim"),
    ("Health Minister Jonas Petersen visited the hospital. The minister said more beds would follow.",
     "The minister", "Jonas Petersen"),
    ("The Daily Courier first reported the merger last week. The newspaper said the deal was worth $2 billion.",
     "The newspaper", "Daily Courier"),
])
def test_a_description_resolves_to_the_named_entity_with_that_role(text, source, name):
    attribution = _by_source(_analyse(text), source)
    assert attribution.speaker is not None and name in attribution.speaker.name
    assert attribution.speaker.resolved_from == "description"
    assert attribution.source_kind in ("named_person", "named_organization")  # counted as named, not anonymous


def test_two_roles_of_one_person_are_one_description_but_two_groups_are_not():
    one = _analyse("Maria Okafor spoke in Ohio on Monday. The former first lady and senator said the plan would "
                   "create jobs.")
    assert _speaker(one, "The former first lady and senator") == "Maria Okafor"
    two = _analyse("Maria Okafor spoke in Ohio on Monday. Her staff and the public said the plan would create jobs.")
    assert _speaker(two, "Her staff and the public") is None


def test_a_description_with_no_such_role_in_the_article_names_nobody():
    analysis = _analyse("Mayor Lena Fischer opened the school. The diplomat said the talks had stalled.")
    assert _speaker(analysis, "The diplomat") is None


# --- headline conventions, "Name: quote", embedded posts, pull quotes ---------------------------------------------
def test_a_dash_headline_names_the_person_the_article_introduces_below():
    analysis = _analyse(
        "The talks with Oslo were useful, — Sweden's top diplomat\n\n"
        "STOCKHOLM, June 2. Swedish Foreign Minister Anders Lund met his Norwegian counterpart on Monday.")
    headline = _by_source(analysis, "Sweden's top diplomat")
    assert headline.content.text == "The talks with Oslo were useful"
    assert headline.speaker.name == "Anders Lund"
    assert headline.speaker.resolved_from == "headline"
    assert not any(a.source_kind == "author" and "Oslo" in a.content.text for a in analysis.attributions)


def test_a_surname_colon_line_is_the_person_the_article_names():
    analysis = _analyse("Lund: the talks with Oslo were useful\n\n"
                        "Swedish Foreign Minister Anders Lund met his Norwegian counterpart on Monday.")
    line = _by_source(analysis, "Lund")
    assert line.content.text == "the talks with Oslo were useful"
    assert line.speaker.name == "Anders Lund"


def test_an_embedded_post_and_its_platform():
    analysis = _analyse("Mayor Lena Fischer wrote on X that the bridge would reopen on Monday.")
    post = _by_source(analysis, "Mayor Lena Fischer")
    assert post.channel.text == "X"
    assert post.content.text == "that the bridge would reopen on Monday"


def test_a_pull_quote_signed_under_it():
    analysis = _analyse("The council met on Tuesday.\n\n"
                        "\"Nobody will be left without heating this winter.\"\n"
                        "— Lena Fischer (@LenaFischerMayor) March 3, 2025")
    quote = _by_source(analysis, "Lena Fischer")
    assert quote.content.text == "Nobody will be left without heating this winter"
    assert quote.channel.text == "@LenaFischerMayor"
    assert quote.quote_kind == "direct"


def test_a_quote_signed_with_a_hyphen_line_and_a_description():
    analysis = _analyse("Reid spoke on Wednesday.\n\n\"Great speech. She is tested. She never quits.\"\n\n"
                        "-President Obama, tweeting after the speech.\n\n"
                        "\"The whole idea is something that we hear about all the time.\"\n\n-Michelle Marks, Toledo.")
    obama = next(a for a in analysis.attributions if a.cue is not None and a.cue.text == "-"
                 and a.content.text.startswith("Great speech"))
    assert obama.source.text == "President Obama" and obama.speaker.name == "Obama"
    assert _speaker(analysis, "Michelle Marks") == "Michelle Marks"
    # a hyphen inside a line signs nothing
    assert _speaker(_analyse("Turnout rose in well-known districts - Reuters reported the figures."), "Reuters") \
        == "Reuters"


def test_a_colon_introduced_quote():
    analysis = _analyse("Then Temitope Adeyemi, a market trader, stood up. She said: \"We cannot afford bread.\"")
    attribution = _by_source(analysis, "She")
    assert attribution.content.text == "We cannot afford bread"
    assert attribution.quote_kind == "direct"


# --- first person ---------------------------------------------------------------------------------------------
def test_i_outside_quotes_is_the_author():
    analysis = _analyse("\"The plan will fail,\" Senator Rachel Kim said on Monday. I told my editor that the "
                        "senator was right.")
    mine = _by_source(analysis, "I")
    assert mine.speaker.resolved_from == "author"
    assert _speaker(analysis, "Senator Rachel Kim") == "Rachel Kim"


def test_i_inside_a_quote_is_the_quoted_speaker():
    text = "\"I told the governor the plan would fail,\" Kim said."
    outer = Attribution(id="a", source=Span.of(text, 44, 47), cue=Span.of(text, 48, 52),
                        content=Span.of(text, 1, 40), source_kind="named_person", quote_kind="direct",
                        speaker=Speaker(name="Rachel Kim", resolved_from="name"))
    inner = Attribution(id="b", source=Span.of(text, 1, 2), cue=Span.of(text, 3, 7), content=Span.of(text, 8, 40),
                        source_kind="pronoun", quote_kind="direct")
    _first_person_speakers([outer, inner], quote_regions(text), "the author")
    assert inner.speaker.name == "Rachel Kim" and inner.speaker.resolved_from == "quote"


def test_they_for_two_people_named_together():
    analysis = _analyse("Senator Rachel Kim and Governor Tom Hale met voters in Dayton on Friday. Governor Tom Hale "
                        "spoke first. They said the plant would stay open.")
    they = _by_source(analysis, "They")
    assert they.speaker.name == "Rachel Kim and Tom Hale"


def test_a_place_description_and_a_name_deep_in_a_phrase_name_nobody():
    analysis = _analyse("Secretary of State Jon Husted appealed the ruling. Several judges handling lawsuits filed "
                        "against Mayor Lena Fischer said the case was weak. The state said it would comply.")
    assert _speaker(analysis, "The state") is None
    judges = next(a for a in analysis.attributions if a.source is not None and a.source.text.startswith("Several"))
    assert judges.speaker is None


def test_a_place_description_is_the_one_place_just_named():
    analysis = _analyse("Lawmakers in Ohio cut the school budget twice last year. The state said on Monday that "
                        "revenue had recovered.")
    assert _speaker(analysis, "The state") == "Ohio"
    two = _analyse("Ohio and Indiana cut their school budgets twice last year. The state said on Monday that "
                   "revenue had recovered.")
    assert _speaker(two, "The state") is None


@pytest.mark.parametrize("apostrophe", ["'", "’"])
def test_a_surname_with_a_bare_apostrophe_owns_the_team(apostrophe):
    analysis = _analyse(f"Senator Rachel Sanders toured the plant on Friday. Sanders{apostrophe} team said the "
                        "factory would stay open.")
    assert _speaker(analysis, f"Sanders{apostrophe} team") == "Sanders team"


def test_a_company_no_name_stands_for_names_nobody():
    attribution = _by_source(_analyse("Workers walked out at dawn. The company said it would appeal the ruling."),
                             "The company")
    assert attribution.speaker is None
    assert attribution.source_kind == "other"  # not counted as a named organisation "company"


def test_a_name_the_parser_calls_a_person_is_a_body_when_its_last_word_says_so():
    mentions = _mentions("Thomas Weller Foundation gave two grants. The foundation said the clinics would open.")
    assert [m.entity.kind for m in mentions.mentions] == ["named_organization"]
    analysis = _analyse("Thomas Weller Foundation gave two grants. The foundation said the clinics would open.")
    assert _speaker(analysis, "The foundation") == "Thomas Weller Foundation"


def test_a_bare_surname_that_is_an_outlet_word_stays_the_person():
    analysis = _analyse("Atlantic City Mayor Don Guardian met the investors on Tuesday. Guardian said the city would "
                        "recover. The mayor said the casinos had made mistakes.")
    assert _speaker(analysis, "Guardian") == "Don Guardian"
    assert _speaker(analysis, "The mayor") == "Don Guardian"


@pytest.mark.parametrize(("text", "source", "name"), [
    ("Rachel Sanders spoke in Toledo on Monday. The Sanders camp said the event drew 4,000 people.",
     "The Sanders camp", "Sanders campaign"),
    ("Maria Okafor spoke in Toledo on Monday. The Okafor team said the event drew 4,000 people.",
     "The Okafor team", "Okafor team"),
])
def test_a_name_before_team_or_camp_owns_it(text, source, name):
    assert _speaker(_analyse(text), source) == name


def test_the_apposed_name_speaks_not_the_owner():
    analysis = _analyse("Hillary Clinton spoke in Toledo. Clinton's introducer, actress Lena Holt, told the crowd "
                        "to vote early.")
    assert _speaker(analysis, "Clinton's introducer, actress Lena Holt") == "Lena Holt"


def test_unnamed_departments_name_nobody():
    attribution = _by_source(_analyse("Officials met on Tuesday. The departments said the review would take a "
                                      "month."), "The departments")
    assert attribution.speaker is None and attribution.source_kind == "anonymous"


def test_an_acronym_is_the_organisation_the_article_spells_out():
    analysis = _analyse("The count was finished on Monday. The AP said the count was final, and the Democratic "
                        "National Committee agreed. The DNC said it would certify the result.")
    assert _speaker(analysis, "The DNC") == "Democratic National Committee"
    assert _speaker(analysis, "The AP") == "AP"  # never spelled out here


def test_a_name_after_the_is_an_organisation_not_a_person():
    attribution = _by_source(_analyse("Voters backed the measure on Sunday. The Eurosceptic SVP said the result was a "
                                      "warning."), "The Eurosceptic SVP")
    assert attribution.source_kind == "named_organization"
    assert attribution.speaker is not None and attribution.speaker.name == "Eurosceptic SVP"


def test_an_o_apostrophe_surname_is_a_person():
    analysis = _analyse("Brett O’Donnell ran the tour for the senator. “It’s taxing on campaign resources,” O’Donnell "
                        "said.")
    assert _speaker(analysis, "O’Donnell") == "Brett O'Donnell"


@pytest.mark.parametrize(("text", "source", "name"), [
    ("As Donald Trump unveiled a new nickname for his rival, his son said the campaign was only starting. Eric Trump "
     "told reporters the attacks would continue.", "his son", "Eric Trump"),
    ("Eric Trump and Ivanka Trump spoke at the rally. His sister said the polls were wrong.", "His sister",
     "Ivanka Trump"),
    # the one other Trump is a woman
    ("Eric Trump and Ivanka Trump spoke at the rally. His father said the polls were wrong.", "His father", None),
])
def test_a_relative_is_the_one_other_person_of_the_owner_s_surname_and_its_gender(text, source, name):
    assert _speaker(_analyse(text), source) == name


@pytest.mark.parametrize(("text", "source"), [
    ("Alarmed by the unrest in Nevada, Senator Harry Reid, the minority leader, said that he would act.",
     "Senator Harry Reid, the minority leader"),
    # an adjective, not a clause
    ("Leading Democratic senators like Robert Menendez, Ben Cardin and Chuck Schumer may now feel vindicated.",
     "Leading Democratic senators like Robert Menendez, Ben Cardin and Chuck Schumer"),
])
def test_a_leading_participle_clause_is_not_part_of_the_source(text, source):
    from sourcetrace.stages.attribution.rules import Candidate
    from sourcetrace.stages.attribution.stage import _without_leading_clause

    end = text.index(" may") if " may" in text else text.index(", said")
    candidate = Candidate(content=[(end, len(text))], source=(0, end))
    start, end = _without_leading_clause(load_spacy()(text), candidate).source
    assert text[start:end] == source


def test_a_first_name_alone_is_the_one_person_named_with_it():
    analysis = _analyse("Jerome Arthur Siegel founded a realty firm in 1961. Jerome had many achievements, but he was "
                        "proud of his work for the hospital. “It kept me young,” he said.")
    assert _speaker(analysis, "he") == "Jerome Arthur Siegel"
    two = _analyse("Jerome Siegel and Jerome Katz founded the firm. Jerome said it was hard work.")
    assert _speaker(two, "Jerome") == "Jerome"  # either of two


@pytest.mark.parametrize(("text", "source", "name"), [
    ("The Orlando Sentinel interviewed the mayor on Monday. “We have work ahead,” said Clinton, according to the AP. "
     "The newspaper reported that she would return in June.", "The newspaper", "Orlando Sentinel"),
    ("The FBI opened an inquiry in May, Reuters reported. The agency said the review would take months.",
     "The agency", "FBI"),
    ("The FBI opened an inquiry in May, Reuters reported. The news agency said the review would take months.",
     "The news agency", "Reuters"),
])
def test_the_newspaper_is_not_a_wire_agency_and_the_agency_is_not_a_newspaper(text, source, name):
    assert _speaker(_analyse(text), source) == name


def test_a_short_name_is_the_same_outlet_but_not_another_organisation():
    analysis = _analyse("The Junge SVP said the vote was a warning. The SVP said it would call a referendum. The "
                        "Washington Post reported the vote. The Post said turnout was high.")
    assert _speaker(analysis, "The SVP") == "SVP"
    assert _speaker(analysis, "The Post") == "Washington Post"


def test_an_outlet_named_after_the_is_never_a_person():
    text = "Sources told The Hill on Monday that the informant was crucial. \"He can't talk,\" she said."
    mentions = _mentions(text)
    assert all(e.kind == "named_organization" for e in mentions.entities if e.name == "Hill")


@pytest.mark.parametrize(("text", "source", "name", "role"), [
    ("Patriarch Kirill said the war was a holy struggle.", "Patriarch Kirill", "Kirill", "Patriarch"),
    ("Cardinal Pietro Parolin said the Vatican was ready to mediate.", "Cardinal Pietro Parolin", "Pietro Parolin",
     "Cardinal"),
])
def test_church_titles_are_roles_not_names(text, source, name, role):
    speaker = _by_source(_analyse(text), source).speaker
    assert (speaker.name, speaker.role) == (name, role)


# --- the person an interview is with ----------------------------------------------------------------------------
@pytest.mark.parametrize("text, before, name", [
    # named most before the first question (her pronouns count), however often others come up after it
    ("Maria Okafor taught chemistry for twenty years. She now sits on the board. Her colleague Dan Ruiz "
     "disagrees.\n\nQ: Dan Ruiz says the levy is needed. Does Dan Ruiz have a point?", "Q:", "Maria Okafor"),
    # two named as often before it, and after it too: no one
    ("Maria Okafor and Dan Ruiz sat down with us.\n\nQ: Who pays?", "Q:", None),
])
def test_the_main_person_is_the_one_the_introduction_names_most(text, before, name):
    mentions = _mentions(text)
    found = mentions.main_person(text.index(before))
    assert (found.entity.name if found is not None else None) == name


def test_an_acronym_is_the_name_the_article_defines_it_as():
    analysis = _analyse("In 1999 the conservative Swiss People’s Party, or SVP, won the election. Later the SVP said "
                        "it would call a referendum.")
    assert _speaker(analysis, "the SVP") == "Swiss People's Party"
    brackets = _analyse("The Norwegian Refugee Council (NRC) opened an office in Kharkiv. The NRC said it would stay.")
    assert _speaker(brackets, "The NRC") == "Norwegian Refugee Council"


def test_a_body_named_again_is_not_the_coordination_it_first_spoke_in():
    analysis = _analyse("Both Blocher and the SVP have long complained that the courts were too lenient. In 2008 the "
                        "SVP said the law had to change.")
    assert _speaker(analysis, "the SVP") != _speaker(analysis, "Both Blocher and the SVP")


def test_a_one_word_outlet_is_the_outlet_the_article_names_in_full():
    analysis = _analyse("Fox News hosted the debate on Thursday. Fox said the ratings were the highest in years.")
    assert _speaker(analysis, "Fox") == "Fox News"
    two = _analyse("Fox News and Fox Sports News showed the games. Fox said the ratings were high.")
    assert _speaker(two, "Fox") == "Fox"  # either of two


@pytest.mark.parametrize(("text", "place"), [
    ("North Korea said on Monday it had tested a new missile. South Korea's defence minister condemned the launch. "
     "He said it broke the agreement.", "North Korea"),
    ("Lawmakers met in Charleston on Monday. West Virginia said on Tuesday that it would appeal the ruling.",
     "West Virginia"),
])
def test_a_place_opening_with_a_first_name_is_no_person(text, place):
    analysis = _analyse(text)
    attribution = _by_source(analysis, place)
    assert attribution.source_kind == "named_organization"
    # and no person stands for it: not "the defence minister", not a later "he"
    assert all(a.speaker is None or a.speaker.name != place for a in analysis.attributions if a is not attribution)


def test_an_unnamed_official_of_one_state_is_not_another_state():
    analysis = _analyse("The West Virginia legislature voted the bill down. In Georgia, the state's Republican "
                        "governor said he would not sign it.")
    assert _speaker(analysis, "the state's Republican governor") is None


@pytest.mark.parametrize(("text", "source", "name"), [
    ("“There were no calls placed by Ailes to Trump,” Fox News said in a statement. The statement added that the "
     "network would stand by its host.", "The statement", "Fox News"),
    ("Hillary Clinton unveiled her first Spanish-language campaign ad on Friday. The ad says that families should "
     "stay together.", "The ad", "Hillary Clinton"),
    ("Senator Ana Ruiz met the board on Monday. She sent a letter to the governor afterwards. The letter says the "
     "budget is short by $4 million.", "The letter", "Ana Ruiz"),
])
def test_a_document_is_credited_to_whoever_the_text_says_issued_it(text, source, name):
    assert _speaker(_analyse(text), source) == name


def test_an_indefinite_body_names_no_one():
    analysis = _analyse("A Kharkiv newspaper said on Monday that the bridge had been closed since March.")
    attribution = _by_source(analysis, "A Kharkiv newspaper")
    assert attribution.speaker is None and attribution.source_kind == "other"


def test_a_headline_s_capitalised_common_noun_is_no_name():
    analysis = _analyse("Newspaper Says Mayor Must Resign Over Bridge Contract.\n\nThe city's bridge contract went to "
                        "a firm owned by the mayor's brother, records show. “The mayor should resign,” it wrote, and "
                        "the newspaper said the council had been misled.")
    assert _by_source(analysis, "Newspaper").speaker is None
    assert _speaker(analysis, "the newspaper") != "Newspaper"


@pytest.mark.parametrize(("text", "source", "asker"), [
    ("Daniel Ortega asked the senator on Sunday whether she was running. “I have not decided yet,” the senator "
     "said.", "the senator", "Daniel Ortega"),
    ("Tom Keller spoke with Rita Vance on her Sunday show. “Someone has to take on the establishment,” Keller "
     "said. “That would be you?” Vance asked. “That would be me,” the senator said.", "the senator", "Rita Vance"),
])
def test_who_answers_a_question_is_not_who_asked_it(text, source, asker):
    assert _speaker(_analyse(text), source) != asker


def test_a_pronoun_before_a_speaking_organisation_does_not_make_it_a_person():
    analysis = _analyse("Senator Ana Ruiz said she had not seen the emails. Judicial Watch stated in a release on "
                        "Tuesday that the emails had been found. The watchdog group said it would sue the department.")
    assert _by_source(analysis, "Judicial Watch").source_kind == "named_organization"
    assert _speaker(analysis, "The watchdog group") == "Judicial Watch"


def test_they_after_an_unnamed_group_in_its_sentence_is_that_group():
    analysis = _analyse("The Agriculture Ministry sent a survey to farmers last week, and they said the subsidies "
                        "had come too late.")
    assert _speaker(analysis, "they") is None
    # with no group between, "they" is still the organisation
    analysis = _analyse("The Agriculture Ministry published new figures on Monday. They said the harvest had fallen "
                        "by a tenth.")
    assert _speaker(analysis, "They") == "Agriculture Ministry"


@pytest.mark.parametrize("headline", ["Democratic Senator Says Budget Deal Is Dead.",
                                      "Christian Speaker Says Election Is A Turning Point."])
def test_a_headline_s_capitalised_role_is_no_name(headline):
    source = " ".join(headline.split()[:2])
    analysis = _analyse(headline + "\n\nSenator Ana Ruiz said on Monday the deal was dead.")
    attribution = _by_source(analysis, source)
    assert attribution.speaker is None or attribution.speaker.name != source
    assert _speaker(_analyse("Former President Jimmy Carter said on Monday that he was well."),
                    "Former President Jimmy Carter") == "Jimmy Carter"


def test_a_name_inside_a_quotation_never_names_the_speaker():
    analysis = _analyse("Trump said: “Working that microphone was harder than working Crooked Hillary Clinton.”\n\n"
                        "Rival Hillary Clinton had mocked the complaint on Tuesday. Clinton said the debate was fair.")
    names = {a.speaker.name for a in analysis.attributions if a.speaker is not None and "Clinton" in a.speaker.name}
    assert names == {"Hillary Clinton"}


def test_a_plural_common_noun_capitalised_at_the_sentence_start_names_no_one():
    attribution = _by_source(_analyse("Records show gifts to the clinic from three banks."), "Records")
    assert attribution.speaker is None
    assert attribution.source_kind == "other"


def test_one_another_and_everyone_stand_for_no_named_speaker():
    analysis = _analyse('"I was banned for life," Daniel Whitfield said. His sister met several immigration lawyers; '
                        "one suggested she marry an American, and another warned her about deportation. That is what "
                        "everyone told her.")
    assert _speaker(analysis, "Daniel Whitfield") == "Daniel Whitfield"
    for source in ("one", "another", "everyone"):
        assert _speaker(analysis, source) is None, source


def test_names_speaking_together_are_one_joint_speaker_and_each_keeps_a_name_of_their_own():
    analysis = _analyse("Former Ambassador John Bolton and editor Sebastian Gorka said the plan would fail. Bolton "
                        "said it was naive.")
    assert _speaker(analysis, "Former Ambassador John Bolton and editor Sebastian Gorka") == \
        "John Bolton and Sebastian Gorka"
    assert _speaker(analysis, "Bolton") == "John Bolton"
    analysis = _analyse("Exxon Mobil and Chevron said output rose.")
    assert _speaker(analysis, "Exxon Mobil and Chevron") == "Exxon Mobil and Chevron"


def test_a_body_whose_name_ends_in_two_words_for_a_body_speaks_as_itself():
    attribution = _by_source(_analyse("Russia attacked Ukraine overnight with more than 150 drones, the Ukrainian "
                                      "air force said."), "the Ukrainian air force")
    assert attribution.speaker is not None and attribution.speaker.name == "Ukrainian air force"
    assert attribution.source_kind == "named_organization"


# descriptions and bodies in the shapes wire copy gives them: (text, source, the speaker it names or None)
@pytest.mark.parametrize(("text", "source", "name"), [
    pytest.param("Shares of Norvell rose sharply on Tuesday after a strong quarter. Analysts had expected less. "
                 "Traders bought the stock all morning. The company said it would raise its dividend.",
                 "The company", "Norvell", id="the_company_is_the_one_organisation_of_the_last_three_sentences"),
    pytest.param("Shares of Norvell rose on Tuesday. Ann Ruiz, its chief executive, once taught at Carlton College. "
                 "The company said it would raise its dividend.",
                 "The company", "Norvell", id="a_college_is_not_the_company"),
    pytest.param("The advocacy group Parents Rising is sponsoring a contest. The group said entries close in May.",
                 "The group", "Parents Rising", id="a_person_labelled_name_beside_a_body_noun_is_a_body"),
    pytest.param("In a speech on Tuesday, Hillary Clinton attacked her rival. The former secretary of state mocked "
                 "Donald Trump for calling himself a genius.",
                 "The former secretary of state", "Hillary Clinton", id="himself_of_a_later_name_is_not_its_gender"),
    pytest.param("Though Donald Trump would not say who his running mate would be, the front-runner did say who it "
                 "would not be.",
                 "the front-runner", "Donald Trump", id="a_hyphenated_role_is_one_word"),
    pytest.param('Enter The Washington Post. "He is selling fiction," the paper\'s editorial board wrote on Monday.',
                 "the paper's editorial board", "Washington Post", id="the_paper_s_editorial_board_is_the_newspaper"),
    pytest.param("PolitiFact examined the claim and rated it false. The news service pointed to the ministry's own "
                 "figures.",
                 "The news service", "PolitiFact", id="a_news_service_is_the_outlet_before_it"),
    pytest.param("Exxon Mobil and Chevron both reported higher profits on Friday. The company said oil output rose.",
                 "The company", None, id="the_company_after_two_companies_speaking_together_names_no_one"),
    pytest.param("Boeing reported a loss for the third quarter. The planemaker said deliveries would recover next "
                 "year.",
                 "The planemaker", "Boeing", id="a_wire_epithet_for_a_company_is_the_company_named_before"),
    pytest.param("Maria Zakharova, the foreign ministry spokeswoman, dismissed the report. The diplomat said it was "
                 "fake.",
                 "The diplomat", "Maria Zakharova", id="the_diplomat_is_the_foreign_ministry_official_named_before"),
    pytest.param("Ramzan Kadyrov posted a video on Monday. The Chechen leader said his fighters had taken the "
                 "village.",
                 "The Chechen leader", "Ramzan Kadyrov", id="a_nationality_keeps_a_person_named_without_one"),
    pytest.param("Dmytro Kuleba, Ukraine's foreign minister, met reporters in Kyiv. The Russian diplomat said "
                 "nothing.",
                 "The Russian diplomat", None, id="a_nationality_rules_out_a_person_of_another_country"),
    pytest.param("Ukrainian Foreign Minister Dmytro Kuleba spoke in Kyiv on Monday. The Russian minister said "
                 "nothing.",
                 "The Russian minister", None, id="a_nationality_rules_out_a_person_titled_from_another_country"),
])
def test_a_description_names_whom_the_text_gives_or_no_one(text, source, name):
    assert _speaker(_analyse(text), source) == name
