"""Generate the Holbæk demo catalogue: brobygger/data/holbaek_demo.json.

    .venv/bin/python scripts/make_demo_catalogue.py [--esco-dir ../shared/data/esco] [--out FILE]

Deterministic (fixed seed, no network): the same ESCO files give the same bytes. Every company,
provider, association and person is invented; owners are marked "(fiktiv)" and CVR numbers start
with 99. Jobs and placements name a real ESCO occupation (looked up by its English preferred
label, with a Danish title that must be one of its Danish labels) and a handful of its essential
skills. The output carries its own `esco_references` (URI -> labels) so the product and the tests
never need ../shared.

Opportunity ids: derive_id("holbaek-demo", kind, owner key, title), a uuid5 in the project's
fixed namespace, where the owner key is the CVR (company), the association id (association) or
the display name (education provider).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.contracts import (  # noqa: E402
    Certificate,
    CitizenProfile,
    DrivingLicence,
    Opportunity,
    derive_id,
)

SEED = 316  # Holbæk's municipality code
ID_PREFIX = "holbaek-demo"
OUT = ROOT / "brobygger" / "data" / "holbaek_demo.json"
ESCO_LINE = "This service uses the ESCO classification of the European Commission."
ATTRIBUTION = (
    f"{ESCO_LINE} Danish occupation labels adapted from ESCO v1.0.8 (European Commission) "
    "via the MELO benchmark (Avature, MIT licence)."
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
C, L = Certificate, DrivingLicence

# ---------------------------------------------------------------------------------------------
# Data tables
# ---------------------------------------------------------------------------------------------

#: town -> (postcode, lat, lon, jitter in degrees). Approximate centres (WGS84); Holbæk's is
#: shifted a little south so jittered points stay on land (the fjord is north of the centre).
#: Orø is an island in Isefjorden, reached by ferry from Holbæk.
TOWNS: dict[str, tuple[str, float, float, float]] = {
    "Holbæk": ("4300", 55.7080, 11.7150, 0.015),
    "Tølløse": ("4340", 55.6125, 11.7700, 0.006),
    "Jyderup": ("4450", 55.6640, 11.4210, 0.006),
    "Svinninge": ("4520", 55.7210, 11.4650, 0.005),
    "Mørkøv": ("4440", 55.6525, 11.5080, 0.005),
    "Vipperød": ("4390", 55.6680, 11.7390, 0.005),
    "Regstrup": ("4420", 55.6520, 11.6350, 0.004),
    "Tuse": ("4300", 55.7115, 11.6250, 0.004),
    "Ugerløse": ("4350", 55.5900, 11.6560, 0.004),
    "Orø": ("4300", 55.7680, 11.8180, 0.004),
}

#: shift -> (start time, longest working day in hours); a role without a shift works a rota.
SHIFT_START = {"morning": ("06:00", 8.0), "day": ("07:00", 8.0), "office": ("08:00", 8.0),
               "late": ("10:00", 8.0), "afternoon": ("12:00", 6.0), "evening": ("16:00", 5.5)}
DAY_DA = {"mon": "mandag", "tue": "tirsdag", "wed": "onsdag", "thu": "torsdag", "fri": "fredag",
          "sat": "lørdag", "sun": "søndag"}
PLACEMENT_DA = {"sprogpraktik": "Sprogpraktik", "virksomhedspraktik": "Virksomhedspraktik",
                "igu": "IGU-forløb", "loentilskud": "Løntilskudsjob"}
CERT_DA = {C.FORKLIFT: "truckcertifikat", C.HYGIENE: "hygiejnebevis",
           C.FIRST_AID: "førstehjælpsbevis", C.CRANE: "kranførerbevis",
           C.WORK_AT_HEIGHT: "kursus i arbejde i højden",
           C.SAFETY_CARD: "sikkerhedskort til bygge og anlæg", C.ADR: "ADR-bevis (farligt gods)",
           C.DRIVER_QUALIFICATION: "kvalifikationsbevis (chaufføruddannelse)",
           C.CLEANING: "kursus i erhvervsrengøring",
           C.CARE_ASSISTANT: "uddannelse som social- og sundhedshjælper"}


class Role(NamedTuple):
    esco: str  # ESCO English preferred label of the occupation
    title: str  # a Danish label of that occupation (preferred or alternative)
    skills: tuple[str, ...]  # plain Danish
    level: str | None  # lowest CEFR level of Danish for the ordinary job
    hours: tuple[int, int]
    shift: str | None = None
    cap: int = 2
    certs: tuple[Certificate, ...] = ()
    licence: DrivingLicence | None = None
    placement: bool = True  # can also be offered as a language-at-work placement
    keys: tuple[str, ...] = ()  # essential ESCO skills that must be among `esco_skills`


R = Role
SECTORS: dict[str, list[Role]] = {
    "cleaning": [
        R("building cleaner", "rengøringsassistent", ("rengøring af kontorer", "gulvvask"),
          None, (15, 30), "morning", 4, keys=("clean surfaces",)),
        R("building cleaner", "sanitør", ("hospitalsrengøring", "hygiejne", "brug af gulvmaskine"),
          "A2", (25, 37), "morning", 2, (C.CLEANING,), keys=("operate floor cleaning equipment",)),
        R("room attendant", "rengøringsmedhjælper", ("hotelrengøring", "sengeredning"),
          None, (15, 30), "late", 3),
        R("window cleaner", "vinduespudser", ("vinduespudsning", "arbejde på stige"),
          "A1", (25, 37), "day", 2, licence=L.B, placement=False),
        R("vehicle cleaner", "bilvasker", ("bilvask", "indvendig rengøring af biler"),
          None, (20, 30), "day", 2),
        R("domestic cleaner", "rengøringshjælp", ("rengøring i private hjem", "tøjvask"),
          "A2", (15, 30), "office", 3),
    ],
    "care": [
        R("home care aide", "social- og sundhedshjælper", ("personlig pleje", "praktisk hjælp"),
          "B1", (25, 37), None, 3, (C.CARE_ASSISTANT,), L.B, False, ("tend to elderly people",)),
        R("care at home worker", "hjemmehjælper", ("praktisk hjælp i hjemmet", "rengøring"),
          "A2", (20, 32), "day", 3, licence=L.B),
        R("residential care home worker", "plejecentermedarbejder",
          ("omsorg for ældre", "hjælp ved måltider", "aktiviteter med beboere"),
          "B1", (25, 37), None, 3),
        R("healthcare assistant", "social- og sundhedsassistent",
          ("medicinhåndtering", "sygepleje", "dokumentation"),
          "B2", (30, 37), None, 2, (C.CARE_ASSISTANT,), placement=False),
        R("hospital porter", "portør", ("patienttransport", "forflytning", "service"),
          "A2", (30, 37), "day", 2),
    ],
    "kitchen": [
        R("kitchen assistant", "køkkenmedhjælper", ("madlavning", "opvask", "grøntsagsklargøring"),
          "A1", (20, 37), "late", 3, keys=("comply with food safety and hygiene",)),
        R("kitchen porter", "opvasker", ("opvask", "rengøring af køkken"),
          None, (10, 25), "evening", 3),
        R("cook", "kok", ("madlavning", "menuplanlægning", "råvarekendskab"),
          "A2", (30, 37), None, 2, (C.HYGIENE,), keys=("comply with food safety and hygiene",)),
        R("industrial cook", "kok i storkøkken", ("madlavning i store mængder", "egenkontrol"),
          "A2", (32, 37), "day", 2, (C.HYGIENE,)),
        R("waiter/waitress", "tjener", ("servering", "kundeservice", "borddækning"),
          "B1", (10, 25), "evening", 2, placement=False),
        R("barista", "barista", ("kaffebrygning", "kundeservice", "kassebetjening"),
          "A2", (15, 30), "late", 2),
    ],
    "warehouse": [
        R("warehouse worker", "lagermedarbejder", ("vareplukning", "pakning", "scanning af varer"),
          "A1", (30, 37), "day", 4),
        R("forklift operator", "gaffeltruckfører", ("truckkørsel", "lastning og losning"),
          "A1", (37, 37), None, 3, (C.FORKLIFT,), placement=False, keys=("operate forklift",)),
        R("warehouse order picker", "ordreplukker", ("ordreplukning", "håndscanner", "pakning"),
          None, (25, 37), "morning", 4),
        R("hand packer", "pakkeriassistent", ("pakning", "kvalitetskontrol", "etikettering"),
          None, (20, 37), "morning", 4),
        R("materials handler", "læsse- og lossearbejder", ("lastning og losning", "tunge løft"),
          None, (30, 37), "morning", 3),
    ],
    "construction": [
        R("carpenter", "tømrer", ("tømrerarbejde", "tagkonstruktioner", "opmåling"),
          "A2", (37, 37), "day", 2, (C.SAFETY_CARD,),
          keys=("follow health and safety procedures in construction",)),
        R("bricklayer", "murer", ("murerarbejde", "flisearbejde", "pudsning"),
          "A2", (37, 37), "day", 2, (C.SAFETY_CARD,)),
        R("construction painter", "maler", ("malerarbejde", "spartling", "afdækning"),
          "A2", (30, 37), "day", 2),
        R("building construction worker", "byggearbejder",
          ("oprydning på byggeplads", "betonarbejde", "materialehåndtering"),
          "A1", (37, 37), "day", 3, (C.SAFETY_CARD,)),
        R("construction scaffolder", "stilladsarbejder", ("stilladsmontage", "arbejde i højden"),
          "A2", (37, 37), "day", 2, (C.WORK_AT_HEIGHT, C.SAFETY_CARD), placement=False),
        R("plumber", "vvs-montør", ("vvs-installationer", "rørarbejde", "fejlfinding"),
          "B1", (37, 37), "day", 1, licence=L.B, placement=False),
    ],
    "agriculture": [
        R("crop production worker", "landbrugsmedarbejder",
          ("markarbejde", "traktorkørsel", "høst"),
          None, (30, 37), "morning", 3),
        R("livestock worker", "dyrepasser", ("fodring af dyr", "malkning", "rengøring af stalde"),
          None, (30, 37), None, 2),
        R("horticulture worker", "gartneriassistent", ("plantepasning", "potning", "vanding"),
          None, (25, 37), "morning", 4),
        R("fruit and vegetable picker", "bærplukker", ("plukning af frugt og bær", "sortering"),
          None, (20, 37), "morning", 4),
        R("landscape gardener", "anlægsgartner", ("beplantning", "belægningsarbejde"),
          "A2", (37, 37), "day", 2, licence=L.B, placement=False),
        R("garden labourer", "have- og parkarbejder", ("græsslåning", "hækklipning", "lugning"),
          "A1", (25, 37), "day", 3),
    ],
    "retail": [
        R("shop assistant", "butiksassistent",
          ("kundeservice", "kassebetjening", "varepræsentation"),
          "B1", (15, 30), "late", 2, keys=("operate cash register",)),
        R("shelf filler", "vareopfylder", ("vareopfyldning", "varemodtagelse", "datokontrol"),
          None, (15, 30), "morning", 3),
        R("cashier", "kasseassistent", ("kassebetjening", "kundeservice", "pengehåndtering"),
          "A2", (12, 30), "late", 2),
        R("sales assistant", "salgsassistent", ("salg", "kundevejledning", "varekendskab"),
          "B1", (25, 37), "late", 2),
        R("bakery specialised seller", "bagerekspedient", ("ekspedition", "kaffebrygning"),
          "A2", (15, 30), "morning", 2),
        R("building materials specialised seller", "byggemarkedsekspedient",
          ("kundevejledning", "byggematerialer", "udlevering af varer"),
          "B1", (30, 37), "day", 1, placement=False),
    ],
    "food": [
        R("food production operator", "produktionsmedarbejder til fødevareproduktion",
          ("maskinbetjening", "pakning af fødevarer", "hygiejne"), None, (37, 37), "morning", 4),
        R("meat cutter", "slagterimedarbejder", ("udskæring af kød", "knivbrug", "hygiejne"),
          "A1", (37, 37), "morning", 3, (C.HYGIENE,),
          keys=("follow hygienic procedures during food processing",)),
        R("packaging and filling machine operator",
          "maskinoperatør - emballerings- og påfyldningsmaskiner",
          ("maskinbetjening", "emballering", "kvalitetskontrol"), "A1", (37, 37), None, 2),
        R("dairy products manufacturing worker", "mejerimedarbejder",
          ("osteproduktion", "rengøring af tanke", "kvalitetskontrol"),
          "A1", (37, 37), "morning", 2, (C.HYGIENE,)),
        R("baker", "bager", ("dejfremstilling", "bagning", "hygiejne"),
          "A2", (30, 37), "morning", 2, (C.HYGIENE,)),
    ],
    "metal": [
        R("welder", "svejser", ("MIG/MAG-svejsning", "tegningslæsning", "metalbearbejdning"),
          "A2", (37, 37), "day", 2),
        R("metal products assembler", "produktionsarbejder", ("montage", "brug af håndværktøj"),
          "A1", (37, 37), "day", 3),
        R("sheet metal worker", "pladesmed", ("pladearbejde", "bukning og klipning af plader"),
          "A2", (37, 37), "day", 2),
        R("lathe and turning machine operator", "CNC-operatør", ("CNC-drejning", "opmåling"),
          "A2", (37, 37), None, 2, placement=False),
        R("metal polisher", "metalsliber", ("slibning", "polering", "kvalitetskontrol"),
          "A1", (37, 37), "day", 2),
    ],
    "transport": [
        R("cargo vehicle driver", "lastbilchauffør", ("kørsel med lastbil", "lastning og losning"),
          "A2", (37, 37), None, 2, (C.DRIVER_QUALIFICATION,), L.C, False, ("road traffic laws",)),
        R("car and van delivery driver", "chauffør til varelevering",
          ("varelevering", "kørsel med varebil", "kundekontakt"),
          "A2", (25, 37), "morning", 3, licence=L.B, placement=False),
        R("bus driver", "buschauffør", ("kørsel med bus", "passagerservice"),
          "B1", (20, 37), None, 2, (C.DRIVER_QUALIFICATION,), L.D, False,
          ("perform defensive driving",)),
        R("taxi driver", "taxichauffør", ("persontransport", "lokalkendskab", "kundeservice"),
          "B1", (20, 37), None, 2, licence=L.B, placement=False),
        R("refuse vehicle driver", "skraldemand", ("affaldsindsamling", "tunge løft"),
          "A2", (37, 37), "morning", 2, (C.DRIVER_QUALIFICATION,), L.C, False),
        R("vehicle cleaner", "bilvasker", ("vask af lastbiler og busser", "indvendig rengøring"),
          None, (20, 37), "day", 2),
        R("materials handler", "læsse- og lossearbejder",
          ("lastning og losning", "sortering af gods"),
          None, (30, 37), "morning", 3),
        R("mover", "flyttemand", ("tunge løft", "pakning", "lastning af flyttebil"),
          None, (25, 37), "day", 3),
        R("patient transport services driver", "chauffør til patienttransport",
          ("kørsel med patienter", "hjælp ved forflytning"),
          "B1", (20, 37), "day", 2, licence=L.B, placement=False),
    ],
    "childcare": [
        R("child day care worker", "pædagogmedhjælper",
          ("pasning af børn", "leg og aktiviteter", "samarbejde med forældre"),
          "B1", (25, 35), "day", 2, keys=("supervise children",)),
        R("child day care worker", "medarbejder i en vuggestue",
          ("pasning af de mindste", "bleskift", "sovetider"), "B1", (25, 32), "day", 2),
        R("child care worker", "barnepasser", ("pasning af børn", "lege", "madlavning til børn"),
          "A2", (15, 25), "afternoon", 2),
        R("kitchen assistant", "køkkenmedarbejder", ("madlavning til børn", "opvask", "hygiejne"),
          "A2", (20, 30), "day", 1, (C.HYGIENE,)),
        R("building cleaner", "rengøringsassistent", ("rengøring af institution", "gulvvask"),
          None, (10, 20), "evening", 1),
    ],
}

#: (name, sector, town): invented employers; " (fiktiv)" is added to every name.
COMPANIES: list[tuple[str, str, str]] = [
    ("Blankpudset Rengøring ApS", "cleaning", "Holbæk"),
    ("Skinnende Hjørner Service ApS", "cleaning", "Holbæk"),
    ("Fejebakken Facility ApS", "cleaning", "Holbæk"),
    ("Lindelyst Privat Hjemmepleje ApS", "care", "Holbæk"),
    ("Omsorgshuset Solsikken ApS", "care", "Holbæk"),
    ("Havtornens Private Plejehjem ApS", "care", "Holbæk"),
    ("Kantinekompagniet Fjordbrisen ApS", "kitchen", "Holbæk"),
    ("Restaurant Måltidsmøllen ApS", "kitchen", "Holbæk"),
    ("Café Kaffekoppen I/S", "kitchen", "Holbæk"),
    ("Kassestablerne Logistik A/S", "warehouse", "Holbæk"),
    ("Pallegården Lager ApS", "warehouse", "Holbæk"),
    ("Hammerslag Tømrer & Snedker ApS", "construction", "Holbæk"),
    ("Murskeen Byg ApS", "construction", "Holbæk"),
    ("Penselstrøg Malerfirma ApS", "construction", "Holbæk"),
    ("Grønne Fingre Anlæg ApS", "agriculture", "Holbæk"),
    ("Hjørnekøbmanden Kurven ApS", "retail", "Holbæk"),
    ("Tøjstativet ApS", "retail", "Holbæk"),
    ("Byggeklodsen Byggemarked ApS", "retail", "Holbæk"),
    ("Hylden Discount ApS", "retail", "Holbæk"),
    ("Stålsnedkeriet Gnisten A/S", "metal", "Holbæk"),
    ("Fjordsmag Fødevarer A/S", "food", "Holbæk"),
    ("Hjulspor Transport ApS", "transport", "Holbæk"),
    ("Rattet Taxi & Kørsel ApS", "transport", "Holbæk"),
    ("Skraldespanden Renovation ApS", "transport", "Holbæk"),
    ("Mælkebøttens Private Børnehave ApS", "childcare", "Holbæk"),
    ("Legeloftet Privat Vuggestue ApS", "childcare", "Holbæk"),
    ("Bryggeriet Humlebien ApS", "food", "Tølløse"),
    ("Metalværket Skruetvingen A/S", "metal", "Tølløse"),
    ("Lagerhallen Pakkeposen A/S", "warehouse", "Tølløse"),
    ("Omsorgsgården Rosenknoppen ApS", "care", "Tølløse"),
    ("Kroen Gaflen ApS", "kitchen", "Tølløse"),
    ("Godsvognen Fragt ApS", "transport", "Tølløse"),
    ("Porregården Grøntsager I/S", "agriculture", "Jyderup"),
    ("Tagrenden Tømrer ApS", "construction", "Jyderup"),
    ("Støvfri Service ApS", "cleaning", "Jyderup"),
    ("Smedjen Ambolten ApS", "metal", "Jyderup"),
    ("Hjemmeplejen Hjertevarm ApS", "care", "Jyderup"),
    ("Malkespanden Kvæg I/S", "agriculture", "Svinninge"),
    ("Købmandsgården Kringlen ApS", "retail", "Svinninge"),
    ("Kornlageret Avnen A/S", "warehouse", "Svinninge"),
    ("Lastvognen Lyngblomsten ApS", "transport", "Svinninge"),
    ("Pålægsfabrikken Skiven A/S", "food", "Mørkøv"),
    ("Murerne Mørtelmix ApS", "construction", "Mørkøv"),
    ("Naturbørnehaven Myretuen ApS", "childcare", "Mørkøv"),
    ("Frokostkassen Catering ApS", "kitchen", "Mørkøv"),
    ("Vareflowet Distribution A/S", "warehouse", "Vipperød"),
    ("Indkøbsvognen Supermarked ApS", "retail", "Vipperød"),
    ("Stilladsfolket ApS", "construction", "Vipperød"),
    ("Vinduesvisken ApS", "cleaning", "Vipperød"),
    ("Planteskolen Rodnettet ApS", "agriculture", "Vipperød"),
    ("Jordbærmarken Sødbær I/S", "agriculture", "Regstrup"),
    ("Pladesmeden Nittet ApS", "metal", "Regstrup"),
    ("Ældreboligerne Solstrejf ApS", "care", "Regstrup"),
    ("Drivhuset Tomatglad ApS", "agriculture", "Tuse"),
    ("Landkroen Skeen ApS", "kitchen", "Tuse"),
    ("Børnegården Humlebo ApS", "childcare", "Tuse"),
    ("Grisegården Trynen I/S", "agriculture", "Ugerløse"),
    ("Skolebussen Gule Hjul ApS", "transport", "Ugerløse"),
    ("Øcaféen Havblik ApS", "kitchen", "Orø"),
    ("Ø-gården Lammekøllen I/S", "agriculture", "Orø"),
]

PROVIDERS = {
    "amu": "Fjordens AMU-center (fiktiv)",
    "b": "Køreskolen Grønt Lys (fiktiv)",
    "b2": "Køreskolen Vognbanen (fiktiv)",
    "heavy": "Lastvognsskolen Bremselyset (fiktiv)",
    "build": "Byggeriets Kursushus Lodlinen (fiktiv)",
    "fvu": "Voksenskolen Blyanten (fiktiv)",
    "vuc": "Voksenuddannelsescenter Isefjorden (fiktiv)",
    "sosu": "SOSU-skolen Omsorgsvejen (fiktiv)",
}


class Step(NamedTuple):
    title: str
    provider: str  # key into PROVIDERS
    type: str
    town: str
    slots: str  # see parse_slots
    level: str | None
    skills: tuple[str, ...]  # ESCO English skill labels
    texts: tuple[str, ...]  # Danish
    description: str
    certs: tuple[Certificate, ...] = ()
    licence: DrivingLicence | None = None
    capacity: int = 12


S = Step
EDUCATION: list[Step] = [
    S("Truckcertifikat (gaffeltruck)", "amu", "AMU", "Holbæk", "mon-fri 07:30-15:00", "A2",
      ("operate forklift", "conduct forklift inspections", "safety regulations for warehouses"),
      ("truckkørsel", "sikkerhed på lageret", "daglig kontrol af truck"),
      "Fem dages AMU-kursus med praktisk kørsel og prøve. Giver truckcertifikat.", (C.FORKLIFT,)),
    S("Hygiejnekursus for fødevarebranchen", "amu", "AMU", "Holbæk", "mon-tue 08:00-15:00", "A2",
      ("comply with food safety and hygiene", "food hygiene rules",
       "follow hygienic procedures during food processing"),
      ("hygiejne i køkkenet", "egenkontrol", "sikker håndtering af fødevarer"),
      "To dages kursus, der giver hygiejnebevis til arbejde med fødevarer.", (C.HYGIENE,)),
    S("Førstehjælp", "amu", "AMU", "Jyderup", "mon,wed 08:00-14:00", "A2",
      ("provide first aid", "apply first response"),
      ("førstehjælp", "hjerte-lunge-redning", "hjælp ved ulykker"),
      "Kort kursus i førstehjælp på arbejdspladsen. Giver førstehjælpsbevis.", (C.FIRST_AID,)),
    S("Erhvervsrengøring – grundlæggende metoder", "amu", "AMU", "Holbæk", "mon-thu 08:00-14:00",
      "A1",
      ("clean surfaces", "operate floor cleaning equipment", "handle chemical cleaning agents"),
      ("rengøringsmetoder", "brug af gulvmaskiner", "sikker brug af rengøringsmidler"),
      "AMU-kursus i professionel rengøring. Meget praktisk; fagordene gennemgås på enkelt dansk.",
      (C.CLEANING,)),
    S("Kørekort til bil (kategori B)", "b", "driving_licence", "Holbæk", "tue,thu 17:00-19:30",
      "A2", ("road traffic laws", "interpret traffic signals"),
      ("færdselsregler", "bilkørsel", "teoriprøve"),
      "Teori om aftenen og køretimer efter aftale. Teoriprøven kan tages på dansk eller engelsk.",
      licence=L.B, capacity=16),
    S("Kørekort kategori B – hold i Tølløse", "b2", "driving_licence", "Tølløse",
      "mon,wed 18:00-20:00", "A2", ("road traffic laws", "interpret traffic signals"),
      ("færdselsregler", "bilkørsel", "teoriprøve"),
      "Kørekort til almindelig bil. Teoriundervisning to aftener om ugen.", licence=L.B),
    S("Kørekort til lastbil (kategori C)", "heavy", "driving_licence", "Vipperød",
      "mon-fri 08:00-15:00", "A2",
      ("road traffic laws", "perform defensive driving", "control the performance of the vehicle"),
      ("kørsel med lastbil", "defensiv kørsel", "kontrol af køretøj"),
      "Fuldtidsforløb til lastbilkørekort. Kræver kørekort kategori B.", licence=L.C, capacity=8),
    S("Kørekort til bus (kategori D)", "heavy", "driving_licence", "Vipperød",
      "mon-fri 08:00-15:00", "B1",
      ("passenger transport regulations", "perform defensive driving", "manoeuvre bus"),
      ("kørsel med bus", "passagersikkerhed", "defensiv kørsel"),
      "Fuldtidsforløb til buskørekort. Kræver kørekort kategori B.", licence=L.D, capacity=8),
    S("Grundlæggende kvalifikationsuddannelse for godskørsel", "heavy", "AMU", "Vipperød",
      "mon-fri 08:00-15:30", "A2",
      ("road transport legislation", "health and safety measures in transportation",
       "supervise loading of cargo"),
      ("køre- og hviletid", "sikker lastning", "arbejdsmiljø i transport"),
      "AMU-uddannelsen, der giver kvalifikationsbevis til erhvervsmæssig godskørsel.",
      (C.DRIVER_QUALIFICATION,), capacity=10),
    S("ADR-kursus – transport af farligt gods", "heavy", "certificate", "Vipperød",
      "mon-wed 08:00-15:30", "B1",
      ("transport dangerous goods", "recognise the hazards of dangerous goods",
       "manage documentation for dangerous goods"),
      ("farligt gods", "mærkning og papirer", "sikkerhed ved uheld"),
      "Kursus med prøve, der giver ADR-bevis til kørsel med farligt gods.", (C.ADR,), capacity=10),
    S("Kranførerbevis (mobilkran)", "build", "certificate", "Regstrup", "mon-fri 07:30-15:00", "A2",
      ("operate mobile crane", "operate cranes"),
      ("kranbetjening", "anhugning", "sikkerhed ved løft"),
      "Praktisk kursus med prøve. Giver kranførerbevis.", (C.CRANE,), capacity=8),
    S("Sikkerhedskursus for bygge og anlæg", "build", "AMU", "Regstrup", "mon-tue 07:30-15:00",
      "A2",
      ("follow health and safety procedures in construction",
       "use safety equipment in construction"),
      ("sikkerhed på byggepladsen", "værnemidler", "førstehjælp på byggepladsen"),
      "To dages kursus. Giver sikkerhedskort til arbejde på byggepladser.", (C.SAFETY_CARD,)),
    S("Arbejde i højden og stilladsmontage", "build", "AMU", "Regstrup", "mon-wed 07:30-15:00",
      "A2",
      ("follow safety procedures when working at heights",
       "enforce safety procedures when working at heights"),
      ("stilladsmontage", "faldsikring", "arbejde i højden"),
      "AMU-kursus i sikkert arbejde på stillads og lift.", (C.WORK_AT_HEIGHT,), capacity=10),
    S("FVU-læsning", "fvu", "FVU", "Holbæk", "mon,wed 17:00-19:30", "A1",
      ("understand written Danish", "write Danish"),
      ("læsning", "stavning", "skrivning af korte tekster"),
      "Gratis undervisning i læsning og skrivning for voksne på små hold.", capacity=14),
    S("FVU-matematik", "fvu", "FVU", "Holbæk", "tue,thu 17:00-19:30", "A1",
      ("apply numeracy skills", "interpret mathematical information"),
      ("regning", "brøker og procent", "matematik i hverdagen og på jobbet"),
      "Gratis undervisning i regning og matematik for voksne. Man starter på sit eget niveau.",
      capacity=14),
    S("FVU-start: læsning for begyndere", "fvu", "FVU", "Jyderup", "sat 09:00-12:00", "A1",
      ("understand written Danish",), ("læsning af enkle tekster", "bogstaver og lyde"),
      "Lørdagshold for voksne, der er ved at lære at læse på dansk.", capacity=10),
    S("Dansk på G-niveau (dansk som andetsprog)", "vuc", "VUC", "Holbæk", "tue,thu 16:30-20:00",
      "B1", ("interact verbally in Danish", "understand spoken Danish", "write Danish"),
      ("mundtlig dansk", "skriftlig dansk", "læsning af faglige tekster"),
      "Enkeltfag på VUC. Giver adgang til videre uddannelse, fx social- og sundhedsuddannelsen.",
      capacity=20),
    S("Matematik på G-niveau", "vuc", "VUC", "Holbæk", "mon,wed 16:30-19:30", "B1",
      ("apply numeracy skills", "use mathematical tools and equipment", "mathematics"),
      ("ligninger", "procentregning", "geometri"), "Enkeltfag på VUC, aftenhold.", capacity=20),
    S("Arbejdsmarkedsdansk – dansk på jobbet", "amu", "AMU", "Tølløse", "mon-wed 08:00-14:00",
      "A1", ("interact verbally in Danish", "understand spoken Danish"),
      ("dansk på arbejdspladsen", "fagord", "samtale med kolleger"),
      "AMU-kursus i det danske, man bruger på arbejdet: sikkerhed, instruktioner og pauser."),
    S("Social- og sundhedshjælper – start på uddannelsen", "sosu", "EUD", "Holbæk",
      "mon-fri 08:00-15:00", "B1",
      ("tend to elderly people", "apply first response",
       "support social service users to live at home"),
      ("personlig pleje", "omsorg for ældre", "hygiejne i plejen"),
      "Erhvervsuddannelse med løn i praktikken. Fører til uddannelsen som social- og "
      "sundhedshjælper.", (C.CARE_ASSISTANT,), capacity=24),
    S("Introduktion til ældreplejen", "amu", "AMU", "Holbæk", "mon-thu 08:00-14:30", "A2",
      ("tend to elderly people", "hygiene in a health care setting"),
      ("omsorg for ældre", "forflytning", "hygiejne i plejen"),
      "Kort AMU-kursus for dem, der vil prøve at arbejde i ældreplejen."),
    S("Køkkenets grundlæggende arbejde", "amu", "AMU", "Holbæk", "mon-thu 08:00-14:00", "A1",
      ("use food preparation techniques", "clean kitchen equipment",
       "ensure cleanliness of food preparation area"),
      ("tilberedning af mad", "opvask og rengøring i køkkenet", "arbejde efter opskrift"),
      "Praktisk AMU-kursus i et storkøkken."),
    S("Lager og logistik – introduktion", "amu", "AMU", "Svinninge", "mon-wed 08:00-14:00", "A1",
      ("warehouse operations", "pick orders for dispatching"),
      ("vareplukning", "håndscanner", "sikker løfteteknik"),
      "Introduktion til arbejdet på et lager, med øvelser i et rigtigt lager."),
    S("Svejsning – grundlæggende MAG-svejsning", "amu", "AMU", "Tølløse", "mon-fri 07:30-14:30",
      "A2", ("perform metal active gas welding", "use welding equipment"),
      ("MAG-svejsning", "sikkerhed ved svejsning", "tegningslæsning"),
      "AMU-kursus i svejseværkstedet. Kan føre til svejsecertifikat.", capacity=8),
    S("Pædagogisk arbejde med børn – introduktion", "amu", "AMU", "Holbæk", "mon-wed 08:00-14:00",
      "A2", ("supervise children", "attend to children's basic physical needs"),
      ("leg og aktiviteter med børn", "omsorg for de mindste", "samarbejde med forældre"),
      "AMU-kursus for kommende pædagogmedhjælpere."),
    S("Grønne områder – pleje og vedligehold", "amu", "AMU", "Vipperød", "mon-thu 07:30-14:00",
      "A1", ("operate landscaping equipment",),
      ("græsslåning", "beskæring", "brug af havemaskiner"),
      "Praktisk AMU-kursus udendørs. Til job som gartner eller have- og parkarbejder."),
    S("Kundeservice i butik", "amu", "AMU", "Holbæk", "tue-thu 09:00-15:00", "A2",
      ("operate cash register", "maintain customer service"),
      ("kassebetjening", "god kundeservice", "vareopfyldning"),
      "AMU-kursus for nye medarbejdere i detailhandlen."),
]


class Club(NamedTuple):
    title: str
    name: str  # " (fiktiv)" is added
    slug: str
    type: str
    town: str
    slots: str
    keywords: tuple[str, ...]
    description: str
    language_friendly: bool = True
    women_only: bool = False
    capacity: int = 15


A = Club
ASSOCIATIONS: list[Club] = [
    A("Fodbold for alle", "Fjordbold Holbæk", "fjordbold-holbaek", "sports", "Holbæk",
      "tue,thu 18:00-19:30", ("fodbold", "motion"),
      "Uformel fodbold for voksne på alle niveauer. Alle kan være med, også med lidt dansk.",
      capacity=25),
    A("Svømning for kvinder", "Havfruerne Svømmeklub", "havfruerne-svoemmeklub", "sports",
      "Holbæk", "sun 10:00-11:30", ("svømning", "motion"),
      "Svømmehold kun for kvinder, med kvindelig instruktør. Begyndere er velkomne.",
      women_only=True),
    A("Svømmeskole for voksne begyndere", "Plaskeklubben Holbæk", "plaskeklubben-holbaek",
      "sports", "Holbæk", "wed 19:00-20:00", ("svømning",),
      "Lær at svømme som voksen. Vi viser mere, end vi forklarer."),
    A("Løbeklub for begyndere", "Løbeglad Jyderup", "loebeglad-jyderup", "sports", "Jyderup",
      "wed 18:30-19:30; sat 09:00-10:00", ("løb", "motion"),
      "Vi løber sammen i roligt tempo i skoven. Ingen tidtagning."),
    A("Landevejscykling", "Kædehjulet Svinninge Cykelklub", "kaedehjulet-svinninge", "sports",
      "Svinninge", "thu 18:00-20:00; sun 09:00-12:00", ("cykling", "motion"),
      "Træningsture på racercykel i Vestsjælland. Du skal selv have cykel.",
      language_friendly=False),
    A("Cykeltræning for kvinder", "Trædepedalen", "traedepedalen-holbaek", "sports", "Holbæk",
      "sat 10:00-12:00", ("cykling",),
      "Lær at cykle i trafikken. Kun for kvinder; der er cykler og hjelme at låne.",
      women_only=True, capacity=10),
    A("Badminton om aftenen", "Fjerbolden Vipperød", "fjerbolden-vipperoed", "sports", "Vipperød",
      "thu 19:00-21:00", ("badminton", "motion"), "Motionsbadminton i hallen. Ketsjere kan lånes.",
      language_friendly=False),
    A("Motion for kvinder", "Kvindemotion Mørkøv", "kvindemotion-moerkoev", "sports", "Mørkøv",
      "mon 18:00-19:30", ("motion", "gymnastik"),
      "Gymnastik og styrketræning for kvinder i en lukket sal.", women_only=True),
    A("Håndbold for voksne", "Regstrup Håndboldvenner", "regstrup-haandboldvenner", "sports",
      "Regstrup", "tue 19:30-21:00", ("håndbold",), "Oldboys- og motionshåndbold.",
      language_friendly=False),
    A("Cricket for alle", "Isefjord Cricketklub", "isefjord-cricketklub", "sports", "Holbæk",
      "sat 13:00-16:00", ("cricket", "motion"),
      "Cricket om lørdagen på græsbanen. Vi taler dansk og engelsk.", capacity=22),
    A("Kajak for begyndere", "Orø Kajakfællesskab", "oroe-kajakfaellesskab", "sports", "Orø",
      "sat 10:00-12:00", ("kajak", "natur"),
      "Kajaksejlads på Isefjorden. Du skal kunne svømme 600 meter.", language_friendly=False,
      capacity=8),
    A("Gymnastik og bold for voksne", "Ugerløse Motionsforening", "ugerloese-motionsforening",
      "sports", "Ugerløse", "wed 19:00-20:30", ("motion", "gymnastik", "volleyball"),
      "Blandet motion for voksne i skolens gymnastiksal."),
    A("Fodbold i Tuse", "Tuse Næs Boldvenner", "tuse-naes-boldvenner", "sports", "Tuse",
      "mon,wed 18:30-20:00", ("fodbold",), "Fodbold for mænd og kvinder over 16 år.", capacity=25),
    A("Fællessang og kor", "Holbæk Stemmekor", "holbaek-stemmekor", "culture", "Holbæk",
      "mon 19:00-21:00", ("sang", "musik", "kor"),
      "Vi synger danske sange sammen. Sang er en god måde at lære dansk på.", capacity=40),
    A("Sprogcafé på biblioteket", "Sprogvenner Holbæk", "sprogvenner-holbaek", "culture", "Holbæk",
      "wed 16:00-18:00", ("dansk", "samtale", "sprog"),
      "Frivillige taler dansk med dig over en kop kaffe på biblioteket.", capacity=30),
    A("Sprogcafé i Tølløse", "Snakkecaféen Tølløse", "snakkecafeen-toelloese", "culture",
      "Tølløse", "tue 17:00-19:00", ("dansk", "samtale", "sprog"),
      "Øv dansk i hyggelige rammer. Vi hjælper også med breve og hjemmesider."),
    A("Syklub for kvinder", "Nål og Tråd Jyderup", "naal-og-traad-jyderup", "culture", "Jyderup",
      "thu 18:00-21:00", ("syning", "håndarbejde"),
      "Vi syr, strikker og hjælper hinanden. Kun for kvinder.", women_only=True, capacity=12),
    A("Reparationscafé og systue", "Symaskinen Holbæk", "symaskinen-holbaek", "culture", "Holbæk",
      "sat 10:00-13:00", ("syning", "genbrug", "reparation"),
      "Vi reparerer tøj og små ting sammen. Symaskiner kan lånes."),
    A("Amatørteater", "Tuse Scenekunst", "tuse-scenekunst", "culture", "Tuse", "tue 19:00-21:30",
      ("teater", "kultur"), "Vi øver til to forestillinger om året.", language_friendly=False),
    A("Fotoklub", "Lukkertiden Vipperød", "lukkertiden-vipperoed", "culture", "Vipperød",
      "mon 19:00-21:00", ("fotografering",), "Fototure og billedaftener for alle med et kamera.",
      language_friendly=False),
    A("Frivillig i genbrugsbutikken", "Hjælpende Hænder Holbæk", "hjaelpende-haender-holbaek",
      "volunteering", "Holbæk", "wed 15:00-18:00; sat 10:00-14:00",
      ("frivilligt arbejde", "genbrug", "butik"),
      "Hjælp med at sortere tøj og betjene kunder i vores genbrugsbutik. Overskuddet går til "
      "nødhjælp."),
    A("Frivillig i Genbrugsstuen", "Genbrugsstuen Svinninge", "genbrugsstuen-svinninge",
      "volunteering", "Svinninge", "thu 14:00-17:00; sat 10:00-13:00",
      ("frivilligt arbejde", "genbrug"), "Lille genbrugsbutik, der altid mangler hænder."),
    A("Madfællesskab mod madspild", "Madbroen Holbæk", "madbroen-holbaek", "volunteering", "Holbæk",
      "thu 17:00-19:00", ("madlavning", "madspild", "frivilligt arbejde"),
      "Vi henter overskudsmad og deler den ud. Bagefter laver vi mad og spiser sammen.",
      capacity=20),
    A("Besøgsven for ældre", "Kaffe og Selskab Tølløse", "kaffe-og-selskab-toelloese",
      "volunteering", "Tølløse", "sun 14:00-16:00", ("frivilligt arbejde", "ældre", "samtale"),
      "Besøg en ældre borger til kaffe og snak en gang om ugen.", language_friendly=False),
    A("Lektiecafé – frivillig hjælper", "Lektieliv Holbæk", "lektieliv-holbaek", "volunteering",
      "Holbæk", "tue,thu 15:30-17:30", ("lektiehjælp", "børn", "frivilligt arbejde"),
      "Hjælp skolebørn med lektier. Du skal kunne læse og skrive dansk.",
      language_friendly=False),
    A("Frivillig i beboerhuset", "Ø-huset Orø Beboerforening", "oe-huset-oroe", "volunteering",
      "Orø", "sat 10:00-13:00", ("frivilligt arbejde", "fællesskab", "madlavning"),
      "Hjælp med fællesspisning, loppemarked og sommerfest på øen.", capacity=10),
    A("Fælleshave", "Spirehaven Vipperød", "spirehaven-vipperoed", "volunteering", "Vipperød",
      "wed 17:00-19:00; sat 10:00-13:00", ("havearbejde", "natur", "grøntsager"),
      "Vi dyrker grøntsager sammen og deler høsten."),
    A("Forældrecafé", "Forældrenetværket Fjordbørn", "foraeldrenetvaerket-fjordboern",
      "parents_network", "Holbæk", "wed 16:30-18:00", ("forældre", "børn", "skole"),
      "Mød andre forældre og få svar på spørgsmål om skole, fritid og børnehave. Børn er "
      "velkomne.", capacity=25),
    A("Legestue for børn og forældre", "Legestuen Mørkøv", "legestuen-moerkoev", "parents_network",
      "Mørkøv", "sat 10:00-12:00", ("forældre", "børn", "leg"),
      "Legestue for børn under skolealderen og deres forældre."),
    A("Fædrenetværk", "Fædregruppen Jyderup", "faedregruppen-jyderup", "parents_network",
      "Jyderup", "sun 10:00-12:00", ("forældre", "børn", "fædre"),
      "Fædre og børn mødes til leg, tur i skoven og snak om at være far i Danmark."),
    A("Kvindenetværk", "Kvindernes Fællesskab Holbæk", "kvindernes-faellesskab-holbaek",
      "womens_network", "Holbæk", "tue 18:00-20:00", ("netværk", "samtale", "job"),
      "Et fællesskab kun for kvinder: vi taler om job, uddannelse og hverdagen i Danmark.",
      women_only=True, capacity=25),
    A("Kvindernes madklub", "Gryden Vipperød", "gryden-vipperoed", "womens_network", "Vipperød",
      "fri 17:00-20:00", ("madlavning", "netværk"),
      "Kvinder laver mad fra hele verden og spiser sammen. Kun for kvinder.", women_only=True),
    A("Kvindecafé", "Kvindecaféen Regstrup", "kvindecafeen-regstrup", "womens_network",
      "Regstrup", "sun 13:00-15:00", ("netværk", "samtale", "håndarbejde"),
      "Kaffe, håndarbejde og snak. Kun for kvinder.", women_only=True, capacity=12),
]


def intakes(
    occupation: Callable[[str, str], str], skill: Callable[[str], str]
) -> list[dict[str, Any]]:
    """Eight invented sample intakes. `occupation`/`skill` look up (and record) ESCO URIs."""
    yes = {k: True for k in ("ordinary_job", "language_placement", "education_step",
                             "association_activity")}

    def intake(name: str, town: str, lat: float, lon: float, note: str, danish: str,
               languages: str, **rest: Any) -> dict[str, Any]:
        course, module, level, times = danish.split(" ", 3)  # "DU2 3 A2 tue,thu 17:00-20:00"
        person = {"name": name, "email": name.lower().replace(" ", ".") + "@example.org",
                  "home": {"lat": lat, "lon": lon},
                  "caseworker_note": f"Demoperson (opdigtet). {note}"}
        return {"personal": person, "home_postcode": TOWNS[town][0], "home_town": town,
                "danish": {"course": course, "module": int(module), "level": level,
                           "class_times": parse_slots(times)},
                "other_languages": [dict(zip(("language", "level"), pair.split(":"), strict=True))
                                    for pair in languages.split()],
                "consent": yes} | rest

    def job(title: str, years: int, en: str, da: str | None = None) -> list[dict[str, Any]]:
        return [{"title": title, "years": years, "esco_occupation": occupation(en, da or title)}]

    def edu(title: str, level: str, country: str) -> list[dict[str, Any]]:
        return [{"title": title, "level": level, "country": country}]

    def claims(*texts: str, esco: tuple[str, str] | None = None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{"text": t} for t in texts]
        return out + ([{"text": esco[0], "esco_skill": skill(esco[1])}] if esco else [])

    def audit(gender: str, origin: str, age: str) -> dict[str, str]:
        return {"gender": gender, "origin_group": origin, "age_band": age}

    def travel(minutes: int, licences: tuple[str, ...] = (), car: bool = False,
               bike: bool = True) -> dict[str, Any]:
        return {"driving_licences": list(licences), "car": car, "bike": bike,
                "public_transport": True, "max_commute_minutes": minutes}

    return [
        intake("Hodan Warsame", "Holbæk", 55.7105, 11.7050,
               "Har gjort rent på hotel i fire år. Vil gerne arbejde om morgenen.",
               "DU1 2 A1 mon,wed 08:30-11:45", "so:native ar:A2",
               education=edu("Grundskole (Somalia)", "primary", "SO"),
               previous_jobs=job("rengøringsassistent", 4, "building cleaner"),
               skills=claims("hotelrengøring", esco=("gulvvask", "clean building floors")),
               interests=["syning", "gåture"],
               availability={"hours_per_week": 25,
                             "unavailable": parse_slots("mon-fri 14:30-16:30")},
               transport=travel(45), audit=audit("female", "refugee", "30-39")),
        intake("Khaled Haddad", "Tølløse", 55.6140, 11.7650,
               "Kørte lastbil i Syrien i 12 år. Kørekort C er ombyttet; mangler "
               "kvalifikationsbevis.",
               "DU2 3 A2 tue,thu 17:00-20:00", "ar:native en:A2",
               education=edu("Gymnasium (Syrien)", "secondary", "SY"),
               previous_jobs=job("lastbilchauffør", 12, "cargo vehicle driver"),
               skills=claims("kørsel med lastbil", "lastning og losning",
                             esco=("færdselsregler", "road traffic laws")),
               interests=["fodbold", "cykling"], availability={"hours_per_week": 37},
               transport=travel(60, ("B", "C"), car=True), audit=audit("male", "refugee", "40-49")),
        intake("Olena Kovalenko", "Holbæk", 55.7180, 11.7260,
               "Sygeplejerske fra Ukraine; dansk autorisation er søgt. Vil gerne arbejde i "
               "ældreplejen imens.", "DU3 4 B1 mon,wed 17:00-19:45", "uk:native ru:C1 en:B1",
               education=edu("Sygeplejerske (bachelor)", "bachelor", "UA"),
               previous_jobs=job("sygeplejerske", 9, "nurse responsible for general care"),
               skills=claims("sygepleje", "medicinhåndtering",
                             esco=("pleje af ældre", "tend to elderly people")),
               certificates=["first_aid"], interests=["kor", "løb"],
               availability={"hours_per_week": 32}, transport=travel(45),
               preferred_language="en", audit=audit("female", "refugee", "30-39")),
        intake("Yonas Tesfay", "Jyderup", 55.6625, 11.4250,
               "Ingen erhvervserfaring endnu. Motiveret for praktisk arbejde.",
               "DU2 1 A1 mon-thu 08:30-11:45", "ti:native en:A1",
               education=edu("Grundskole (Eritrea)", "primary", "ER"),
               skills=claims("praktisk arbejde", "tunge løft"),
               interests=["fodbold", "fitness", "musik"], availability={"hours_per_week": 20},
               transport=travel(40), audit=audit("male", "refugee", "18-24")),
        intake("Zahra Ahmadi", "Vipperød", 55.6680, 11.7350,
               "Ønsker aktiviteter kun for kvinder og kontakt gennem sagsbehandler.",
               "DU1 3 A2 tue,thu 09:00-12:00", "fa:native",
               education=edu("Gymnasium (Afghanistan)", "secondary", "AF"),
               previous_jobs=job("syerske", 3, "sewing machine operator", "operatør af symaskine"),
               skills=claims("syning", "madlavning"),
               interests=["syning", "svømning", "madlavning"],
               availability={"hours_per_week": 20,
                             "unavailable": parse_slots("mon-fri 14:00-16:00")},
               transport=travel(30, bike=False), preferred_channel="private",
               wants_women_only_activities=True,
               audit=audit("female", "family_reunified", "25-29")),
        intake("Mehmet Yilmaz", "Holbæk", 55.7120, 11.7000,
               "Uddannet kok med otte års erfaring. Mangler dansk hygiejnebevis.",
               "DU3 2 A2 thu 17:00-20:00", "tr:native ku:B2",
               education=edu("Kokkeuddannelse (Tyrkiet)", "vocational", "TR"),
               previous_jobs=job("kok", 8, "cook"),
               skills=claims("tyrkisk køkken", "menuplanlægning",
                             esco=("madlavning", "use cooking techniques")),
               interests=["madlavning", "fodbold"], availability={"hours_per_week": 37},
               transport=travel(45, ("B",)), audit=audit("male", "non_western", "40-49")),
        intake("Petro Bondarenko", "Svinninge", 55.7230, 11.4600,
               "Landbrugserfaring fra Ukraine. Ønsker ikke forslag til foreninger.",
               "DU2 2 A1 mon,wed 17:00-20:00", "uk:native ru:C2",
               education=edu("Landbrugsskole (Ukraine)", "vocational", "UA"),
               previous_jobs=job("landbrugsmedarbejder", 15, "crop production worker"),
               skills=claims("traktorkørsel", "markarbejde", "malkning"),
               availability={"hours_per_week": 37}, transport=travel(40, ("B",), car=True),
               consent=yes | {"association_activity": False},
               audit=audit("male", "refugee", "50-64")),
        intake("Karwan Rashid", "Mørkøv", 55.6540, 11.5120,
               "Tømrer med ti års erfaring fra Irak. Har ikke sikkerhedskort endnu.",
               "DU2 4 A2 tue,thu 08:30-11:45", "ku:native ar:B2 en:A2",
               education=edu("Tømreruddannelse (Irak)", "vocational", "IQ"),
               previous_jobs=job("tømrer", 10, "carpenter"),
               skills=claims("tagarbejde",
                             esco=("tømrerarbejde", "install wood elements in structures")),
               interests=["løb", "cykling"], availability={"hours_per_week": 37},
               transport=travel(50, ("B",), car=True), audit=audit("male", "undisclosed", "30-39")),
    ]


# ---------------------------------------------------------------------------------------------
# ESCO lookups
# ---------------------------------------------------------------------------------------------


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


class Esco:
    """The slice of ESCO the generator needs, and a record of every concept it used."""

    def __init__(self, esco_dir: Path) -> None:
        print(f"reading ESCO from {esco_dir}", flush=True)
        occs = list(_rows(esco_dir / "occupations_en.csv"))
        self.occ_uri = {r["preferredLabel"]: r["conceptUri"] for r in occs}
        self.occ_en = {r["conceptUri"]: r["preferredLabel"] for r in occs}
        self.occ_da = {r["conceptUri"]: (r["preferredLabel"], r["altLabels"].split("\n"))
                       for r in _rows(esco_dir / "occupations_da.csv")}
        skills = list(_rows(esco_dir / "skills_en.csv"))
        self.skill_uri = {r["preferredLabel"]: r["conceptUri"] for r in skills}
        self.skill_en = {r["conceptUri"]: r["preferredLabel"].strip() for r in skills}
        self.skill_type = {r["conceptUri"]: r["skillType"] for r in skills}
        self.essential: dict[str, list[str]] = {}
        for r in _rows(esco_dir / "occupationSkillRelations_en.csv"):
            if r["relationType"] == "essential" and r["occupationUri"] in self.occ_en:
                self.essential.setdefault(r["occupationUri"], []).append(r["skillUri"])
        print(f"  {len(self.occ_en)} occupations, {len(self.skill_en)} skills, "
              f"{sum(map(len, self.essential.values()))} essential relations", flush=True)
        self.used_occ: set[str] = set()
        self.used_skills: set[str] = set()

    def occupation(self, en_label: str, da_title: str) -> str:
        uri = self.occ_uri[en_label]
        preferred, alts = self.occ_da[uri]
        if da_title not in (preferred, *alts):
            raise ValueError(f"{da_title!r} is not a Danish label of {en_label!r}")
        self.used_occ.add(uri)
        return uri

    def skill(self, en_label: str) -> str:
        uri = self.skill_uri[en_label]
        self.used_skills.add(uri)
        return uri

    def job_skills(self, occ_uri: str, keys: tuple[str, ...], n: int = 5) -> list[str]:
        """`keys` first (they must be essential), then a stable sample of essential competences."""
        essential = self.essential[occ_uri]
        chosen = [self.skill(k) for k in keys]
        if not set(chosen) <= set(essential):
            raise ValueError(f"{keys} are not all essential for {self.occ_en[occ_uri]!r}")
        rest = [s for s in essential if s not in chosen]
        pool = [s for s in rest if self.skill_type[s] == "skill/competence"] or rest
        rng = random.Random(f"{SEED}:{occ_uri}")  # str seeds are stable across runs
        chosen += rng.sample(pool, min(n - len(chosen), len(pool)))
        self.used_skills.update(chosen)
        return chosen

    def references(self) -> dict[str, Any]:
        return {
            "version": "ESCO v1.1.1; Danish occupation labels ESCO v1.0.8 via MELO",
            "occupations": {u: {"en": self.occ_en[u], "da": self.occ_da[u][0]}
                            for u in sorted(self.used_occ)},
            "skills": {u: self.skill_en[u] for u in sorted(self.used_skills)},
        }


# ---------------------------------------------------------------------------------------------
# Building the catalogue
# ---------------------------------------------------------------------------------------------


def minutes(t: str) -> int:
    return int(t[:2]) * 60 + int(t[3:5])


def parse_slots(spec: str) -> list[dict[str, str]]:
    """'mon-fri 08:00-15:00; sat 10:00-12:00' or 'tue,thu 18:00-19:30' -> WeeklySlot payloads."""
    slots = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        days, times = part.split()
        start, end = times.split("-")
        if "-" in days:
            first, last = days.split("-")
            names = WEEKDAYS[WEEKDAYS.index(first) : WEEKDAYS.index(last) + 1]
        else:
            names = tuple(days.split(","))
        slots += [{"day": d, "start": start, "end": end} for d in names]
    return slots


def slot_hours(slots: list[dict[str, str]]) -> float:
    return sum(minutes(s["end"]) - minutes(s["start"]) for s in slots) / 60


def work_slots(rng: random.Random, hours: float, start: str, ndays: int) -> list[dict[str, str]]:
    """The same hours on each of `ndays` days: Monday-Friday (and Saturday) or a weekday sample."""
    weekdays = sorted(rng.sample(WEEKDAYS[:5], ndays), key=WEEKDAYS.index) if ndays < 5 else []
    days = weekdays or list(WEEKDAYS[:ndays])
    end = minutes(start) + round(hours * 60 / ndays / 30) * 30
    return [{"day": d, "start": start, "end": f"{end // 60:02d}:{end % 60:02d}"} for d in days]


def da_hours(hours: float) -> str:
    return f"{hours:g}".replace(".", ",")


def days_text(slots: list[dict[str, str]]) -> str:
    """Danish: 'mandag–fredag kl. 07:00–14:30' or 'tirsdag og torsdag kl. 18:00–19:30'."""
    days = [s["day"] for s in slots]
    names = [DAY_DA[d] for d in days]
    if len(days) >= 3 and "".join(days) in "".join(WEEKDAYS):
        joined = f"{names[0]}–{names[-1]}"
    else:
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" og {names[-1]}"
    return f"{joined} kl. {slots[0]['start']}–{slots[0]['end']}"


def level_text(level: str | None) -> str:
    if level is None:
        return "Du kan starte uden at tale dansk."
    if level in ("A1", "A2"):
        return f"Du skal kunne forstå enkelt dansk (mindst niveau {level})."
    return f"Du skal kunne tale og forstå dansk i hverdagen (mindst niveau {level})."


def place(rng: random.Random, town: str) -> dict[str, Any]:
    postcode, lat, lon, spread = TOWNS[town]
    point = {"lat": round(lat + rng.uniform(-spread, spread) * 0.6, 5),
             "lon": round(lon + rng.uniform(-spread, spread), 5)}
    return {"town": town, "postcode": postcode, "point": point}


def slug(name: str) -> str:
    for old, new in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("&", " ")):
        name = name.lower().replace(old, new)
    return "-".join("".join(c for c in w if c.isalnum()) for w in name.split() if w != "(fiktiv)")


def company_opportunity(esco: Esco, rng: random.Random, company: dict[str, Any], role: Role,
                        placement_type: str | None) -> dict[str, Any]:
    occ = esco.occupation(role.esco, role.title)
    name, town = company["owner"]["name"], company["location"]["town"]
    base: dict[str, Any] = {
        "owner": company["owner"], "location": company["location"],
        # The role's own Danish title: ESCO's preferred Danish label can be a wrong translation
        # (cargo vehicle driver's is "bagagevognschauffør", baggage tug driver).
        "occupation_text": role.title.lower(), "esco_occupation": occ,
        "skills": list(role.skills), "esco_skills": esco.job_skills(occ, role.keys),
    }
    if placement_type is None:  # an ordinary job
        lo, hi = role.hours
        hours: float = rng.choice(sorted({lo, hi, *range(5 * math.ceil(lo / 5), hi, 5)}))
        slots = []
        if role.shift:
            start, max_day = SHIFT_START[role.shift]
            ndays = max(math.ceil(hours / max_day), 5 if hours >= 30 else rng.choice((3, 4, 5)))
            slots = work_slots(rng, hours, start, ndays)
        hours = slot_hours(slots) if slots else hours
        when = f"Fast arbejdstid {days_text(slots)}." if slots else "Arbejdet foregår på vagtplan."
        needs = [CERT_DA[c] for c in role.certs]
        needs += [f"kørekort kategori {role.licence.value}"] if role.licence else []
        text = (f"{name} i {town} søger {role.title} til {da_hours(hours)} timer om ugen. {when} "
                + (f"Krav: {', '.join(needs)}. " if needs else "") + level_text(role.level))
        return base | {
            "kind": "ordinary_job", "title": role.title[0].upper() + role.title[1:],
            "description": text, "schedule": {"hours_per_week": hours, "slots": slots},
            "min_danish_level": role.level, "required_certificates": list(role.certs),
            "required_driving_licence": role.licence, "capacity": rng.randint(1, role.cap),
        }
    long_form = placement_type in ("igu", "loentilskud")
    target = rng.choice((30, 32, 37) if long_form else (12, 15, 16, 18, 20, 24))
    days = 5 if long_form else rng.choice((3, 4))
    start = rng.choice(("07:00", "08:00") if long_form else ("08:00", "09:00", "12:30"))
    slots = work_slots(rng, target, start, days)
    level = "A2" if role.level in ("B1", "B2") else rng.choice((None, None, "A1"))
    mentor = rng.random() < 0.85
    label = PLACEMENT_DA[placement_type]
    text = (f"{label} hos {name} i {town}: du lærer arbejdet som {role.title} "
            f"{da_hours(slot_hours(slots))} timer om ugen ({days_text(slots)}). "
            + ("En fast sprogmentor hjælper dig med dansk på arbejdspladsen. " if mentor else "")
            + level_text(level) + " Timerne kan flyttes, så de passer med din danskundervisning.")
    return base | {
        "kind": "language_placement", "title": f"{label} som {role.title}", "description": text,
        "schedule": {"hours_per_week": slot_hours(slots), "slots": slots},
        "min_danish_level": level, "danish_mentor": mentor, "placement_type": placement_type,
        "capacity": rng.randint(1, 2),
    }


def company_opportunities(esco: Esco, rng: random.Random) -> list[dict[str, Any]]:
    job_counts = [1, 2, 3] * (len(COMPANIES) // 3)  # 120 jobs
    placement_counts = [0] * 13 + [1] * 44 + [2] * 3  # 50 placements
    rng.shuffle(job_counts)
    rng.shuffle(placement_counts)
    out = []
    for i, (name, sector, town) in enumerate(COMPANIES):
        owner = {"type": "company", "cvr": f"99{i + 1:06d}", "name": f"{name} (fiktiv)",
                 "contact_email": f"job@{slug(name)}.example.org"}
        company = {"owner": owner, "location": place(rng, town)}
        roles = SECTORS[sector]
        for role in rng.sample(roles, job_counts[i]):
            out.append(company_opportunity(esco, rng, company, role, None))
        for role in rng.sample([r for r in roles if r.placement], placement_counts[i]):
            kind = rng.choices(list(PLACEMENT_DA), weights=(40, 30, 15, 15))[0]
            out.append(company_opportunity(esco, rng, company, role, kind))
    return out


def education_steps(esco: Esco, rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for e in EDUCATION:
        slots = parse_slots(e.slots)
        provider = PROVIDERS[e.provider]
        out.append({
            "kind": "education_step", "title": e.title, "description": e.description,
            "owner": {"type": "education_provider", "name": provider,
                      "contact_email": f"kursus@{slug(provider)}.example.org"},
            "skills": list(e.texts), "location": place(rng, e.town),
            "schedule": {"hours_per_week": slot_hours(slots), "slots": slots},
            "min_danish_level": e.level, "capacity": e.capacity,
            "education": {"education_type": e.type, "grants_certificates": list(e.certs),
                          "grants_driving_licence": e.licence,
                          "teaches_skills": [esco.skill(s) for s in e.skills],
                          "teaches_skill_texts": list(e.texts)},
        })
    return out


def association_activities(rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for a in ASSOCIATIONS:
        slots = parse_slots(a.slots)
        out.append({
            "kind": "association_activity", "title": a.title, "description": a.description,
            "owner": {"type": "association", "association_id": a.slug, "name": f"{a.name} (fiktiv)",
                      "contact_email": f"kontakt@{a.slug}.example.org"},
            "skills": list(a.keywords), "location": place(rng, a.town),
            "schedule": {"hours_per_week": slot_hours(slots), "slots": slots},
            "capacity": a.capacity,
            "association": {"activity_type": a.type, "language_friendly": a.language_friendly,
                            "women_only": a.women_only},
        })
    return out


def owner_key(owner: dict[str, Any]) -> str:
    return str(owner.get("cvr") or owner.get("association_id") or owner["name"])


def build(esco: Esco) -> dict[str, Any]:
    rng = random.Random(SEED)
    raw = company_opportunities(esco, rng) + education_steps(esco, rng)
    raw += association_activities(rng)
    opportunities = []
    for payload in raw:
        model = Opportunity.model_validate(payload)
        oid = derive_id(ID_PREFIX, model.kind.value, owner_key(payload["owner"]), model.title)
        dumped = model.model_dump(mode="json", exclude_none=True)
        opportunities.append({"id": str(oid), "payload": dumped})
    repeated = [i for i, n in Counter(o["id"] for o in opportunities).items() if n > 1]
    if repeated:
        raise ValueError(f"duplicate opportunity ids: {repeated}")
    profiles = [CitizenProfile.model_validate(p).model_dump(mode="json", exclude_none=True)
                for p in intakes(esco.occupation, esco.skill)]
    return {"attribution": ATTRIBUTION, "generated_by": "scripts/make_demo_catalogue.py",
            "esco_references": esco.references(), "opportunities": opportunities,
            "intakes": profiles}


def summary(data: dict[str, Any]) -> None:
    payloads = [o["payload"] for o in data["opportunities"]]
    kinds = Counter(p["kind"] for p in payloads)
    print("opportunities per kind:")
    for kind, n in kinds.items():
        print(f"  {kind:22} {n:4}")
    companies = {p["owner"]["cvr"]: p["location"]["town"] for p in payloads if "cvr" in p["owner"]}
    print(f"  {'(companies)':22} {len(companies):4}")
    print("town        firms  jobs place  educ assoc intake")
    intake_towns = Counter(p["home_town"] for p in data["intakes"])
    firms = Counter(companies.values())
    for town in TOWNS:
        here = Counter(p["kind"] for p in payloads if p["location"]["town"] == town)
        print(f"{town:10} {firms[town]:5} {here['ordinary_job']:5} {here['language_placement']:5} "
              f"{here['education_step']:5} {here['association_activity']:5} {intake_towns[town]:6}")
    refs = data["esco_references"]
    print(f"ESCO references: {len(refs['occupations'])} occupations, {len(refs['skills'])} skills")
    print(f"sample intakes: {len(data['intakes'])}")


def dumps(data: dict[str, Any]) -> str:
    """JSON with one opportunity or intake per line: small, and diffs stay readable."""
    parts = []
    for key, value in data.items():
        if isinstance(value, list):
            body = ",\n".join("  " + json.dumps(v, ensure_ascii=False) for v in value)
            parts.append(f" {json.dumps(key)}: [\n{body}\n ]")
        else:
            nested = json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n ")
            parts.append(f" {json.dumps(key)}: {nested}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate the Holbæk demo catalogue.")
    parser.add_argument("--esco-dir", type=Path, default=ROOT.parent / "shared" / "data" / "esco")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    source = args.esco_dir / "SOURCE.md"
    if not source.exists() or ESCO_LINE not in source.read_text(encoding="utf-8"):
        parser.error(f"{source} is missing or lacks the ESCO attribution line")
    data = build(Esco(args.esco_dir))
    text = dumps(data)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    summary(data)
    print(f"wrote {args.out} ({len(text.encode()):,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
