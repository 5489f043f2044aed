"""Vocabularies for reading trade documents: units, package kinds, months, countries.

Words as printed on invoices and packing lists in English, German, French, Spanish (and
some Italian, Dutch, Portuguese), keyed by their normalised form (``normalise_text``:
lower case, accents and punctuation removed). The codes are UN/ECE Recommendation 20
(units of measure; checked against the shipped list at import) and Recommendation 21
(package kinds, the subset below).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from types import MappingProxyType

from smartcustoms.reference import UNIT_CODES

_PUNCT = re.compile(r"[^\w]+", re.UNICODE)


def normalise_text(text: str) -> str:
    """Lower case, no accents, punctuation as single spaces: 'Facture n°:' -> 'facture n'.

    >>> normalise_text("  Rechnungs-Nr.: ")
    'rechnungs nr'
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _PUNCT.sub(" ", plain).replace("_", " ").strip()


# --- UN/ECE Rec 21 package kinds (subset seen on packing lists and bills of lading) ------
PACKAGE_KINDS: Mapping[str, str] = MappingProxyType({
    "BA": "barrel", "BE": "bundle", "BG": "bag", "BL": "bale", "BO": "bottle",
    "BX": "box", "CN": "container", "CR": "crate", "CS": "case", "CT": "carton",
    "CX": "can", "DR": "drum", "NE": "unpacked", "PK": "package", "PX": "pallet",
    "RO": "roll", "SA": "sack", "TN": "tin",
})

_PACKAGE_WORDS: dict[str, tuple[str, ...]] = {
    "CT": ("carton", "cartons", "ctn", "ctns", "ct", "cts", "karton", "kartons", "kartonage",
           "caja de carton", "cajas de carton", "carton box", "carton boxes", "cartone",
           "cartoni"),
    "PX": ("pallet", "pallets", "plt", "plts", "palette", "paletten", "palettes", "pal",
           "pale", "pales", "palet", "palets", "bancale", "pallet s"),
    "CS": ("case", "cases", "cs", "kiste", "kisten", "caisse", "caisses", "cajon",
           "cajones", "cassa", "casse", "wooden case", "wooden cases"),
    "BX": ("box", "boxes", "bx", "schachtel", "schachteln", "boite", "boites", "caja",
           "cajas", "scatola", "scatole"),
    "BG": ("bag", "bags", "beutel", "sac", "sacs", "bolsa", "bolsas", "busta"),
    "SA": ("sack", "sacks", "sacke", "sackes", "saco", "sacos"),
    "DR": ("drum", "drums", "fass", "fasser", "fut", "futs", "bidon", "bidones", "tambor",
           "tambores"),
    "BA": ("barrel", "barrels", "tonneau", "tonneaux", "barril", "barriles"),
    "CR": ("crate", "crates", "verschlag", "verschlage", "harasse", "harasses", "jaula",
           "jaulas", "cageot", "cageots"),
    "BL": ("bale", "bales", "ballen", "balle", "balles", "fardo", "fardos", "bala", "balas"),
    "BE": ("bundle", "bundles", "bund", "bunde", "bundel", "botte", "bottes", "paquete",
           "paquetes", "fagot"),
    "RO": ("roll", "rolls", "rolle", "rollen", "rouleau", "rouleaux", "rollo", "rollos",
           "bobina", "bobinas"),
    "PK": ("package", "packages", "pkg", "pkgs", "pk", "pck", "packstuck", "packstucke",
           "colli", "collo", "colis", "bulto", "bultos", "paquet", "paquets", "pieces pkg"),
    "CX": ("can", "cans", "dose", "dosen", "lata", "latas", "bidon metal"),
    "TN": ("tin", "tins", "boite metallique"),
    "BO": ("bottle", "bottles", "flasche", "flaschen", "bouteille", "bouteilles", "botella",
           "botellas"),
}
PACKAGE_WORDS: Mapping[str, str] = MappingProxyType(
    {word: code for code, words in _PACKAGE_WORDS.items() for word in words}
    | {code.lower(): code for code in PACKAGE_KINDS}
)

# --- UN/ECE Rec 20 units ------------------------------------------------------------------
_UNIT_WORDS: dict[str, tuple[str, ...]] = {
    "H87": ("pcs", "pc", "pce", "pces", "piece", "pieces", "pcs s", "ea", "each", "stk",
            "st", "stck", "stuck", "stueck", "unit", "units", "unite", "unites", "u",
            "ud", "uds", "unidad", "unidades", "pza", "pzas", "pieza", "piezas", "pz",
            "pezzo", "pezzi", "nos", "no", "nr", "nbr"),
    "C62": ("one",),
    "NAR": ("article", "articles", "artikel", "items", "item"),
    "KGM": ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms", "kilogramme",
            "kilogrammes", "kilogramm", "kilogramo", "kilogramos", "kgm"),
    "GRM": ("g", "gr", "grs", "gram", "grams", "gramme", "grammes", "gramm", "gramo",
            "gramos"),
    "TNE": ("t", "mt", "tonne", "tonnes", "ton", "tons", "metric ton", "metric tons",
            "tonelada", "toneladas"),
    "MTR": ("m", "mtr", "mtrs", "meter", "meters", "metre", "metres", "metro", "metros",
            "lfm", "lm", "running metre", "running meters"),
    "CMT": ("cm", "centimetre", "centimeter", "centimetres", "centimeters", "zentimeter"),
    "MMT": ("mm", "millimetre", "millimeter", "millimetres", "millimeters"),
    "MTK": ("m2", "sqm", "sq m", "square metre", "square metres", "square meter",
            "square meters", "qm", "metre carre", "metres carres", "metro cuadrado",
            "metros cuadrados"),
    "MTQ": ("m3", "cbm", "cu m", "cubic metre", "cubic metres", "cubic meter",
            "cubic meters", "metre cube", "metres cubes", "metro cubico", "metros cubicos"),
    "LTR": ("l", "ltr", "ltrs", "lt", "litre", "litres", "liter", "litro", "litros", "lts"),
    "MLT": ("ml", "millilitre", "milliliter", "millilitres", "milliliters"),
    "HLT": ("hl", "hectolitre", "hektoliter", "hectolitro", "hectolitros"),
    "SET": ("set", "sets", "satz", "satze", "jeu", "jeux", "juego", "juegos", "kit", "kits",
            "ensemble", "ensembles", "conjunto", "conjuntos"),
    "PR": ("pair", "pairs", "pr", "prs", "paar", "paire", "paires", "par", "pares", "paia"),
    "NPR": ("number of pairs",),
    "DZN": ("doz", "dozen", "dozens", "dz", "dutzend", "douzaine", "douzaines", "docena",
            "docenas"),
    "KWH": ("kwh",),
}
UNIT_WORDS: Mapping[str, str] = MappingProxyType(
    {word: code for code, words in _UNIT_WORDS.items() for word in words}
    | {code.lower(): code for code in UNIT_CODES}
)
_unknown = sorted(set(UNIT_WORDS.values()) - set(UNIT_CODES))
if _unknown:  # pragma: no cover - a broken table is a programming error
    raise RuntimeError(f"unit words map to codes outside the shipped Rec 20 list: {_unknown}")

# Mass units a weight may be printed in, as kilograms per unit.
MASS_UNITS_KG: Mapping[str, str] = MappingProxyType({
    "KGM": "1", "GRM": "0.001", "TNE": "1000", "LBR": "0.45359237",
})
MASS_WORDS: Mapping[str, str] = MappingProxyType({
    "kg": "KGM", "kgs": "KGM", "kilo": "KGM", "kilos": "KGM", "kilogram": "KGM",
    "kilograms": "KGM", "kgm": "KGM", "g": "GRM", "gr": "GRM", "grams": "GRM",
    "t": "TNE", "mt": "TNE", "tonne": "TNE", "tonnes": "TNE", "lb": "LBR", "lbs": "LBR",
    "pounds": "LBR",
})

# --- months -------------------------------------------------------------------------------
_MONTHS: tuple[tuple[str, ...], ...] = (
    ("january", "jan", "januar", "janner", "janvier", "janv", "enero", "ene", "gennaio",
     "gen", "januari", "janeiro"),
    ("february", "feb", "februar", "feber", "fevrier", "fevr", "fev", "febrero", "febbraio",
     "februari", "fevereiro"),
    ("march", "mar", "marz", "maerz", "mars", "marzo", "maart", "marco", "mrz"),
    ("april", "apr", "avril", "avr", "abril", "abr", "aprile"),
    ("may", "mai", "mayo", "maggio", "mag", "mei", "maio"),
    ("june", "jun", "juni", "juin", "junio", "giugno", "giu", "junho"),
    ("july", "jul", "juli", "juillet", "juil", "julio", "luglio", "lug", "julho"),
    ("august", "aug", "aout", "agosto", "ago", "augustus"),
    ("september", "sep", "sept", "septembre", "septiembre", "settembre", "set", "setembro"),
    ("october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre", "ott",
     "outubro", "out"),
    ("november", "nov", "novembre", "noviembre", "novembro"),
    ("december", "dec", "dezember", "dez", "decembre", "diciembre", "dic", "dicembre",
     "dezembro"),
)
MONTH_WORDS: Mapping[str, int] = MappingProxyType(
    {word: number for number, words in enumerate(_MONTHS, start=1) for word in words}
)

# --- countries: names other than pycountry's English ones ---------------------------------
_COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "CN": ("china", "pr china", "p r china", "prc", "peoples republic of china",
           "volksrepublik china", "chine", "republique populaire de chine", "cina"),
    "DE": ("germany", "deutschland", "allemagne", "alemania", "germania", "duitsland",
           "federal republic of germany", "brd"),
    "FR": ("france", "frankreich", "francia", "frankrijk"),
    "ES": ("spain", "spanien", "espagne", "espana", "spagna", "spanje"),
    "IT": ("italy", "italien", "italie", "italia"),
    "NL": ("netherlands", "the netherlands", "niederlande", "pays bas", "paises bajos",
           "holland", "nederland"),
    "BE": ("belgium", "belgien", "belgique", "belgica"),
    "AT": ("austria", "osterreich", "oesterreich", "autriche"),
    "CH": ("switzerland", "schweiz", "suisse", "suiza", "svizzera"),
    "PL": ("poland", "polen", "pologne", "polonia"),
    "PT": ("portugal",),
    "GB": ("united kingdom", "uk", "u k", "great britain", "england",
           "vereinigtes konigreich", "grossbritannien", "royaume uni", "reino unido"),
    "US": ("united states", "usa", "u s a", "us", "u s", "united states of america",
           "vereinigte staaten", "etats unis", "estados unidos", "america"),
    "TR": ("turkey", "turkiye", "turkei", "turquie", "turquia"),
    "VN": ("vietnam", "viet nam", "viet nam socialist republic"),
    "KR": ("south korea", "korea", "republic of korea", "korea republic of", "sudkorea",
           "coree du sud", "corea del sur"),
    "JP": ("japan", "japon", "giappone"),
    "IN": ("india", "indien", "inde"),
    "TW": ("taiwan", "chinese taipei", "taiwan province of china"),
    "HK": ("hong kong", "hongkong", "hong kong sar"),
    "MX": ("mexico", "mexiko", "mexique"),
    "BR": ("brazil", "brasilien", "bresil", "brasil"),
    "MA": ("morocco", "marokko", "maroc", "marruecos"),
    "TH": ("thailand", "thailande", "tailandia"),
    "ID": ("indonesia", "indonesien", "indonesie"),
    "MY": ("malaysia", "malaisie", "malasia"),
    "BD": ("bangladesh", "bangladesch"),
    "PK": ("pakistan",),
    "EG": ("egypt", "agypten", "egypte", "egipto"),
    "ZA": ("south africa", "sudafrika", "afrique du sud", "sudafrica"),
    "AE": ("united arab emirates", "uae", "u a e", "vereinigte arabische emirate",
           "emirats arabes unis", "emiratos arabes unidos"),
    "SE": ("sweden", "schweden", "suede", "suecia"),
    "DK": ("denmark", "danemark", "dinamarca", "danmark"),
    "CZ": ("czech republic", "czechia", "tschechien", "republique tcheque", "chequia"),
    "CL": ("chile", "chili"),
    "CO": ("colombia", "kolumbien", "colombie"),
    "AR": ("argentina", "argentinien", "argentine"),
    "KE": ("kenya", "kenia"),
    "SG": ("singapore", "singapur", "singapour"),
}
COUNTRY_WORDS: Mapping[str, str] = MappingProxyType(
    {alias: code for code, aliases in _COUNTRY_ALIASES.items() for alias in aliases}
)

# --- currencies: names and symbols --------------------------------------------------------
CURRENCY_WORDS: Mapping[str, str] = MappingProxyType({
    "euro": "EUR", "euros": "EUR", "us dollar": "USD", "us dollars": "USD",
    "u s dollars": "USD", "usd": "USD", "dollar americain": "USD", "dolares": "USD",
    "dolar estadounidense": "USD", "dolares estadounidenses": "USD", "us dollar usd": "USD",
    "pound sterling": "GBP", "pounds sterling": "GBP", "livre sterling": "GBP",
    "swiss francs": "CHF", "swiss franc": "CHF", "schweizer franken": "CHF",
    "franc suisse": "CHF", "francs suisses": "CHF", "yuan": "CNY", "renminbi": "CNY",
    "rmb": "CNY", "yen": "JPY", "japanese yen": "JPY",
})
# Symbols name one currency only where the reading is customary; '$' alone is taken as USD
# and '¥' as JPY with lower confidence (the reader says so in the evidence).
CURRENCY_SYMBOLS: Mapping[str, str] = MappingProxyType({
    "€": "EUR", "£": "GBP", "$": "USD", "US$": "USD", "¥": "JPY",
})
