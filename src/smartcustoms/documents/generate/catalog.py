"""Invented but plausible content for the test corpus: goods, companies, ports, carriers.

Every HS code is an HS 2022 subheading of the shipped nomenclature (a test checks it), so
the declarations built from these goods pass the declaration's validators. Company names
are made up from parts; any likeness to a real firm is chance.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Product:
    hs6: str
    unit: str  # UN/ECE Rec 20
    price: tuple[str, str]  # unit price range in USD-like units
    net_kg: str  # net mass per unit
    names: tuple[str, str, str, str]  # en, de, fr, es

    def name(self, language: str) -> str:
        return self.names[("en", "de", "fr", "es").index(language)]


PRODUCTS: tuple[Product, ...] = (
    Product("847130", "H87", ("310", "1450"), "1.6", (
        "Laptop computer 14 inch, 16 GB RAM", "Notebook-Computer 14 Zoll, 16 GB RAM",
        "Ordinateur portable 14 pouces, 16 Go", "Ordenador portátil 14 pulgadas, 16 GB")),
    Product("851762", "H87", ("18", "240"), "0.35", (
        "Wireless network router, dual band", "WLAN-Router, Dualband",
        "Routeur réseau sans fil, bi-bande", "Router inalámbrico de doble banda")),
    Product("850440", "H87", ("4.5", "65"), "0.22", (
        "Power adapter 65 W, USB-C", "Netzteil 65 W, USB-C", "Adaptateur secteur 65 W, USB-C",
        "Adaptador de corriente 65 W, USB-C")),
    Product("851310", "H87", ("3.2", "28"), "0.18", (
        "LED torch, rechargeable", "LED-Taschenlampe, wiederaufladbar",
        "Lampe torche LED rechargeable", "Linterna LED recargable")),
    Product("940171", "H87", ("45", "310"), "14.5", (
        "Office chair with metal frame, upholstered", "Bürostuhl mit Metallgestell, gepolstert",
        "Chaise de bureau à cadre métallique, rembourrée",
        "Silla de oficina con estructura metálica, tapizada")),
    Product("940360", "H87", ("60", "420"), "32", (
        "Wooden bookshelf, oak veneer", "Bücherregal aus Holz, Eiche furniert",
        "Étagère en bois, placage chêne", "Estantería de madera, chapa de roble")),
    Product("611020", "H87", ("4.8", "32"), "0.42", (
        "Cotton pullover, knitted, men's", "Herrenpullover aus Baumwolle, gestrickt",
        "Pull-over en coton, tricoté, homme", "Jersey de algodón de punto, hombre")),
    Product("620342", "H87", ("6.5", "38"), "0.55", (
        "Men's cotton denim trousers", "Herren-Jeanshose aus Baumwolle",
        "Pantalon en denim de coton pour homme", "Pantalón vaquero de algodón para hombre")),
    Product("640399", "PR", ("14", "95"), "0.9", (
        "Leather shoes, men's, rubber sole", "Herren-Lederschuhe, Gummisohle",
        "Chaussures en cuir pour homme, semelle caoutchouc",
        "Zapatos de cuero para hombre, suela de goma")),
    Product("420221", "H87", ("12", "140"), "0.8", (
        "Handbag, outer surface of leather", "Handtasche mit Außenseite aus Leder",
        "Sac à main, extérieur en cuir", "Bolso de mano, exterior de cuero")),
    Product("392690", "H87", ("0.12", "6.5"), "0.05", (
        "Plastic cable clips, assorted", "Kabelclips aus Kunststoff, sortiert",
        "Attache-câbles en plastique, assortis", "Grapas de plástico para cables, surtidas")),
    Product("731815", "KGM", ("2.1", "7.8"), "1", (
        "Steel hexagon bolts M8 x 40, zinc plated", "Sechskantschrauben M8 x 40, verzinkt",
        "Boulons hexagonaux acier M8 x 40, zingués",
        "Pernos hexagonales de acero M8 x 40, cincados")),
    Product("731816", "KGM", ("1.9", "6.9"), "1", (
        "Steel hexagon nuts M8, zinc plated", "Sechskantmuttern M8, verzinkt",
        "Écrous hexagonaux acier M8, zingués", "Tuercas hexagonales de acero M8, cincadas")),
    Product("820551", "SET", ("5.5", "48"), "1.2", (
        "Household tool set, 24 pieces", "Haushaltswerkzeugsatz, 24-teilig",
        "Jeu d'outils ménagers, 24 pièces", "Juego de herramientas domésticas, 24 piezas")),
    Product("846729", "H87", ("22", "180"), "2.4", (
        "Cordless drill 18 V with battery", "Akku-Bohrschrauber 18 V mit Akku",
        "Perceuse sans fil 18 V avec batterie", "Taladro inalámbrico 18 V con batería")),
    Product("870899", "H87", ("3.5", "120"), "1.9", (
        "Brake caliper bracket for passenger cars", "Bremssattelhalter für Pkw",
        "Support d'étrier de frein pour voitures", "Soporte de pinza de freno para turismos")),
    Product("401110", "H87", ("28", "150"), "9.5", (
        "Passenger car tyre 205/55 R16", "Pkw-Reifen 205/55 R16",
        "Pneu de voiture de tourisme 205/55 R16", "Neumático de turismo 205/55 R16")),
    Product("701349", "SET", ("4", "36"), "2.2", (
        "Glass food storage containers, set of 5", "Glas-Vorratsdosen, 5er-Set",
        "Boîtes de conservation en verre, lot de 5", "Recipientes de vidrio, juego de 5")),
    Product("732393", "H87", ("2.5", "45"), "0.9", (
        "Stainless steel cooking pot 5 l", "Kochtopf aus Edelstahl 5 l",
        "Casserole en acier inoxydable 5 l", "Olla de acero inoxidable 5 l")),
    Product("950300", "H87", ("1.8", "35"), "0.4", (
        "Wooden toy train set", "Holzeisenbahn-Spielzeug", "Train jouet en bois",
        "Tren de juguete de madera")),
    Product("330499", "H87", ("0.9", "14"), "0.12", (
        "Moisturising face cream 50 ml", "Feuchtigkeitscreme 50 ml",
        "Crème hydratante visage 50 ml", "Crema facial hidratante 50 ml")),
    Product("090111", "KGM", ("3.1", "7.9"), "1", (
        "Green coffee beans, Arabica, not roasted", "Rohkaffee, Arabica, nicht geröstet",
        "Café vert Arabica, non torréfié", "Café verde arábica, sin tostar")),
    Product("220421", "LTR", ("2.2", "18"), "1.3", (
        "Red wine, still, in 0.75 l bottles", "Rotwein, still, in 0,75-l-Flaschen",
        "Vin rouge tranquille, bouteilles de 0,75 l",
        "Vino tinto tranquilo, botellas de 0,75 l")),
    Product("180690", "KGM", ("4.5", "16"), "1", (
        "Chocolate pralines, assorted", "Pralinen aus Schokolade, sortiert",
        "Pralines au chocolat, assorties", "Bombones de chocolate surtidos")),
    Product("481910", "H87", ("0.15", "1.9"), "0.3", (
        "Corrugated cardboard boxes", "Wellpappkartons", "Boîtes en carton ondulé",
        "Cajas de cartón ondulado")),
    Product("540752", "MTR", ("1.1", "4.9"), "0.15", (
        "Woven polyester fabric, dyed, 150 cm", "Polyestergewebe, gefärbt, 150 cm",
        "Tissu de polyester tissé, teint, 150 cm", "Tejido de poliéster teñido, 150 cm")),
    Product("630260", "H87", ("1.2", "12"), "0.45", (
        "Cotton terry bath towels", "Frottee-Badetücher aus Baumwolle",
        "Serviettes de bain éponge en coton", "Toallas de baño de rizo de algodón")),
    Product("841459", "H87", ("9", "85"), "3.1", (
        "Electric desk fan 40 cm", "Elektrischer Tischventilator 40 cm",
        "Ventilateur de table électrique 40 cm", "Ventilador de mesa eléctrico 40 cm")),
    Product("850760", "H87", ("18", "260"), "2.8", (
        "Lithium-ion battery pack 48 V", "Lithium-Ionen-Akkupack 48 V",
        "Batterie lithium-ion 48 V", "Batería de iones de litio 48 V")),
    Product("853710", "H87", ("120", "2400"), "18", (
        "Electrical control panel, 400 V", "Schaltschrank, 400 V",
        "Armoire de commande électrique, 400 V", "Cuadro de control eléctrico, 400 V")),
    Product("910219", "H87", ("8", "120"), "0.08", (
        "Quartz wrist watch, steel case", "Quarz-Armbanduhr, Stahlgehäuse",
        "Montre-bracelet à quartz, boîtier acier", "Reloj de pulsera de cuarzo, caja de acero")),
    Product("691110", "SET", ("12", "95"), "6.5", (
        "Porcelain dinner set, 18 pieces", "Porzellan-Tafelservice, 18-teilig",
        "Service de table en porcelaine, 18 pièces", "Vajilla de porcelana, 18 piezas")),
    Product("200911", "LTR", ("0.8", "3.4"), "1.05", (
        "Frozen orange juice concentrate", "Orangensaftkonzentrat, gefroren",
        "Jus d'orange concentré congelé", "Zumo de naranja concentrado congelado")),
    Product("520942", "MTR", ("2.4", "9.5"), "0.38", (
        "Cotton denim fabric, 3x1 twill", "Baumwoll-Denimgewebe, Köper 3/1",
        "Tissu denim de coton, sergé 3/1", "Tejido denim de algodón, sarga 3/1")),
)

# Products by HS chapter, for the "HS code swapped to an unrelated chapter" injection.
CHAPTERS = sorted({p.hs6[:2] for p in PRODUCTS})


@dataclass(frozen=True, slots=True)
class Place:
    country: str
    city: str
    postcode: str
    street: str
    port: str  # the seaport name printed on a bill of lading


PLACES: tuple[Place, ...] = (
    Place("CN", "Shenzhen", "518000", "No. 88 Keyuan Road, Nanshan District", "Yantian"),
    Place("CN", "Ningbo", "315000", "Room 1203, 55 Zhongshan East Road", "Ningbo"),
    Place("CN", "Shanghai", "200120", "1899 Pudong Avenue", "Shanghai"),
    Place("VN", "Ho Chi Minh City", "700000", "12 Nguyen Hue Boulevard, District 1",
          "Cat Lai"),
    Place("TR", "Istanbul", "34394", "Büyükdere Cad. No. 185", "Ambarli"),
    Place("IN", "Chennai", "600032", "Plot 14, SIDCO Industrial Estate", "Chennai"),
    Place("KR", "Busan", "48058", "Centum 7-ro 20, Haeundae-gu", "Busan"),
    Place("US", "Savannah", "31401", "400 Bay Street", "Savannah"),
    Place("DE", "Hamburg", "20457", "Am Sandtorkai 41", "Hamburg"),
    Place("DE", "Bremen", "28195", "Schlachte 12", "Bremerhaven"),
    Place("FR", "Lyon", "69002", "12 rue de la République", "Le Havre"),
    Place("FR", "Marseille", "13002", "45 quai du Lazaret", "Marseille-Fos"),
    Place("ES", "Valencia", "46024", "Calle de la Marina 8", "Valencia"),
    Place("ES", "Barcelona", "08039", "Moll de Barcelona 7", "Barcelona"),
    Place("NL", "Rotterdam", "3011 AA", "Wijnhaven 3", "Rotterdam"),
    Place("BE", "Antwerpen", "2000", "Londenstraat 20", "Antwerp"),
    Place("IT", "Genova", "16126", "Via Balbi 10", "Genoa"),
    Place("GB", "Felixstowe", "IP11 3SY", "1 Dock Road", "Felixstowe"),
)
EXPORT_COUNTRIES = ("CN", "VN", "TR", "IN", "KR", "US")
IMPORT_COUNTRIES = ("DE", "FR", "ES", "NL", "BE", "IT", "GB")

_NAME_PARTS = {
    "CN": (("Shenzhen", "Ningbo", "Zhejiang", "Guangdong", "Jiangsu"),
           ("Brightstar", "Golden Bridge", "Everwin", "Sunrise", "Hengda", "Kaixin"),
           ("Electronics", "Industrial", "Trading", "Manufacturing", "Import & Export"),
           ("Co., Ltd.",)),
    "VN": (("Saigon", "Mekong", "Viet"), ("Phoenix", "Lotus", "Highland"),
           ("Garment", "Textile", "Trading"), ("Co., Ltd.", "JSC")),
    "TR": (("Anatolia", "Bosphorus", "Marmara"), ("Tekstil", "Deri", "Makina"),
           ("Sanayi", "Ticaret"), ("A.S.", "Ltd. Sti.")),
    "IN": (("Coromandel", "Deccan", "Madras"), ("Forge", "Exports", "Leather"),
           ("Works", "Industries"), ("Pvt. Ltd.",)),
    "KR": (("Hanbit", "Daehan", "Seorak"), ("Precision", "Auto Parts", "Tech"),
           ("Industrial",), ("Co., Ltd.", "Corp.")),
    "US": (("Atlantic", "Bayview", "Coastal"), ("Supply", "Components", "Brands"),
           ("Group", "Trading"), ("Inc.", "LLC")),
    "DE": (("Hanse", "Elbe", "Weser", "Nordwerk"), ("Handels", "Technik", "Import"),
           ("", ), ("GmbH", "GmbH & Co. KG", "AG")),
    "FR": (("Rhône", "Lumière", "Ateliers"), ("Distribution", "Import", "Équipement"),
           ("",), ("SARL", "SAS", "S.A.")),
    "ES": (("Levante", "Ibérica", "Mediterránea"), ("Suministros", "Importaciones",
           "Comercial"), ("",), ("S.L.", "S.A.")),
    "NL": (("Maas", "Delta", "Zuid"), ("Trading", "Import"), ("",), ("B.V.",)),
    "BE": (("Schelde", "Brabant"), ("Distributie", "Import"), ("",), ("NV", "BV")),
    "IT": (("Liguria", "Tirreno"), ("Importazioni", "Forniture"), ("",), ("S.r.l.", "S.p.A.")),
    "GB": (("Albion", "Thames", "Northgate"), ("Imports", "Supplies"), ("",), ("Ltd",)),
}


def company_name(country: str, choose: Callable[[Sequence[str]], str]) -> str:
    """A made-up company name in the style of ``country``; ``choose`` is a random.choice."""
    parts = [choose(group) for group in _NAME_PARTS[country]]
    return " ".join(p for p in parts if p)


VAT_PREFIX = {"DE": "DE", "FR": "FR", "ES": "ES", "NL": "NL", "BE": "BE", "IT": "IT",
              "GB": "GB"}

CARRIERS = (
    ("Oceanic Container Line", "OCLU"),
    ("Blue Meridian Shipping", "BMSU"),
    ("Nordic Star Lines", "NSLU"),
    ("Pacific Orient Carriers", "POCU"),
)
VESSELS = ("MSC ANNA", "CMA CGM TAGE", "EVER GIVEN", "MAERSK ESSEN", "COSCO FORTUNE",
           "HMM ALGECIRAS", "ONE APUS", "NORTHERN JUPITER", "BLUE MERIDIAN", "SANTA CLARA")
OWNER_CODES = ("MSCU", "CMAU", "TGHU", "MSKU", "CSQU", "TCLU", "HLXU", "OOLU", "SEGU")
CONTAINER_TYPES = ("22G1", "42G1", "45G1")

PACKAGE_KIND_FOR_UNIT = {"KGM": "BG", "LTR": "CT", "MTR": "RO"}
MONEY_ROUND = Decimal("0.01")
