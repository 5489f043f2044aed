"""How the generated documents print: labels per language, number and date formats.

Deliberately written apart from the reader's lexicon (``extract/lexicon.py``): the reader
must recognise what real forms print, not what this generator happens to print. Each label
has variants; a document picks one per label.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

LANGUAGES = ("en", "de", "fr", "es")

# label key -> language -> variants
LABELS: dict[str, dict[str, tuple[str, ...]]] = {
    # --- commercial invoice ---
    "invoice_title": {
        "en": ("COMMERCIAL INVOICE", "Commercial Invoice", "INVOICE"),
        "de": ("HANDELSRECHNUNG", "Rechnung", "Handelsrechnung"),
        "fr": ("FACTURE COMMERCIALE", "Facture", "FACTURE"),
        "es": ("FACTURA COMERCIAL", "Factura", "FACTURA COMERCIAL"),
    },
    "seller": {
        "en": ("Seller", "Exporter", "Seller / Exporter"),
        "de": ("Verkäufer", "Exporteur", "Lieferant"),
        "fr": ("Vendeur", "Exportateur", "Fournisseur"),
        "es": ("Vendedor", "Exportador", "Proveedor"),
    },
    "buyer": {
        "en": ("Buyer", "Sold to", "Bill to"),
        "de": ("Käufer", "Rechnungsempfänger", "Kunde"),
        "fr": ("Acheteur", "Client", "Facturé à"),
        "es": ("Comprador", "Cliente", "Facturar a"),
    },
    "invoice_number": {
        "en": ("Invoice No.", "Invoice Number", "Invoice #"),
        "de": ("Rechnungsnummer", "Rechnung Nr.", "Rechnungs-Nr."),
        "fr": ("Facture n°", "N° de facture", "Numéro de facture"),
        "es": ("Factura n.º", "N.º de factura", "Número de factura"),
    },
    "invoice_date": {
        "en": ("Invoice Date", "Date"),
        "de": ("Rechnungsdatum", "Datum"),
        "fr": ("Date de facture", "Date"),
        "es": ("Fecha de factura", "Fecha"),
    },
    "currency": {
        "en": ("Currency",), "de": ("Währung",), "fr": ("Devise", "Monnaie"),
        "es": ("Moneda", "Divisa"),
    },
    "terms": {
        "en": ("Terms of Delivery", "Incoterms 2020", "Delivery Terms"),
        "de": ("Lieferbedingungen", "Incoterms 2020", "Lieferbedingung"),
        "fr": ("Conditions de livraison", "Incoterms 2020", "Incoterm"),
        "es": ("Condiciones de entrega", "Incoterms 2020", "Incoterm"),
    },
    "payment_terms": {
        "en": ("Payment Terms",), "de": ("Zahlungsbedingungen",),
        "fr": ("Conditions de paiement",), "es": ("Condiciones de pago",),
    },
    "payment_value": {
        "en": ("30 days net", "T/T in advance", "L/C at sight"),
        "de": ("30 Tage netto", "Vorauskasse", "Akkreditiv"),
        "fr": ("30 jours net", "Virement à la commande"),
        "es": ("30 días neto", "Transferencia anticipada"),
    },
    "customer_no": {
        "en": ("Customer No.",), "de": ("Kundennummer",), "fr": ("N° client",),
        "es": ("N.º de cliente",),
    },
    "order_no": {
        "en": ("Your Order", "P.O. No."), "de": ("Ihre Bestellung", "Bestell-Nr."),
        "fr": ("Votre commande",), "es": ("Su pedido", "Pedido n.º"),
    },
    "pos": {"en": ("No.", "Item"), "de": ("Pos.",), "fr": ("N°", "Pos."), "es": ("N.º", "Pos.")},
    "description": {
        "en": ("Description of Goods", "Description"),
        "de": ("Warenbezeichnung", "Beschreibung"),
        "fr": ("Désignation", "Description des marchandises"),
        "es": ("Descripción", "Descripción de la mercancía"),
    },
    "hs": {
        "en": ("HS Code", "Tariff No."), "de": ("Zolltarifnr.", "HS-Code"),
        "fr": ("Code SH", "Nomenclature"), "es": ("Código SA", "Partida arancelaria"),
    },
    "origin": {
        "en": ("Origin", "Country of Origin"), "de": ("Ursprung", "Ursprungsland"),
        "fr": ("Origine", "Pays d'origine"), "es": ("Origen", "País de origen"),
    },
    "qty": {
        "en": ("Qty", "Quantity"), "de": ("Menge", "Anzahl"), "fr": ("Quantité", "Qté"),
        "es": ("Cantidad", "Cant."),
    },
    "unit": {"en": ("Unit", "UoM"), "de": ("Einheit", "ME"), "fr": ("Unité",), "es": ("Unidad",)},
    "unit_price": {
        "en": ("Unit Price", "Price/Unit"), "de": ("Einzelpreis", "Preis/Einheit"),
        "fr": ("Prix unitaire", "P.U."), "es": ("Precio unitario", "Precio unit."),
    },
    "amount": {
        "en": ("Amount", "Total"), "de": ("Betrag", "Gesamtpreis"),
        "fr": ("Montant", "Montant total"), "es": ("Importe", "Total"),
    },
    "subtotal": {
        "en": ("Subtotal", "Total goods value"), "de": ("Zwischensumme", "Warenwert"),
        "fr": ("Sous-total", "Total marchandises"), "es": ("Subtotal", "Valor mercancía"),
    },
    "discount": {
        "en": ("Discount", "Less discount"), "de": ("Rabatt", "Nachlass"),
        "fr": ("Remise",), "es": ("Descuento",),
    },
    "freight": {
        "en": ("Freight", "Freight charges"), "de": ("Fracht", "Frachtkosten"),
        "fr": ("Fret", "Frais de transport"), "es": ("Flete",),
    },
    "insurance": {
        "en": ("Insurance",), "de": ("Versicherung",), "fr": ("Assurance",),
        "es": ("Seguro",),
    },
    "total": {
        "en": ("Total Amount", "Invoice Total", "TOTAL"),
        "de": ("Gesamtbetrag", "Rechnungsbetrag", "Endbetrag"),
        "fr": ("Montant total", "Total facture", "TOTAL"),
        "es": ("Importe total", "Total factura", "TOTAL"),
    },
    "carried_forward": {
        "en": ("Carried forward",), "de": ("Übertrag",), "fr": ("A reporter",),
        "es": ("Suma y sigue",),
    },
    "brought_forward": {
        "en": ("Brought forward",), "de": ("Übertrag",), "fr": ("Report",),
        "es": ("Suma anterior",),
    },
    "page": {"en": ("Page",), "de": ("Seite",), "fr": ("Page",), "es": ("Página",)},
    "of": {"en": ("of",), "de": ("von",), "fr": ("sur",), "es": ("de",)},
    "vat": {
        "en": ("VAT No.", "EORI"), "de": ("USt-IdNr.", "EORI"), "fr": ("N° TVA", "EORI"),
        "es": ("NIF-IVA", "EORI"),
    },
    "bank": {
        "en": ("Bank details",), "de": ("Bankverbindung",), "fr": ("Coordonnées bancaires",),
        "es": ("Datos bancarios",),
    },
    "from": {"en": ("From",), "de": ("Von",), "fr": ("De",), "es": ("De",)},
    "to": {"en": ("To",), "de": ("An",), "fr": ("À",), "es": ("A",)},
    "date": {"en": ("Date",), "de": ("Datum",), "fr": ("Date",), "es": ("Fecha",)},
    # --- packing list ---
    "packing_title": {
        "en": ("PACKING LIST", "Packing List"), "de": ("PACKLISTE", "Packliste"),
        "fr": ("LISTE DE COLISAGE", "Liste de colisage"),
        "es": ("LISTA DE EMPAQUE", "Lista de embalaje"),
    },
    "packing_number": {
        "en": ("Packing List No.", "P/L No."), "de": ("Packliste Nr.", "Packlisten-Nr."),
        "fr": ("Liste de colisage n°", "N° de colisage"),
        "es": ("Lista de empaque n.º", "N.º de lista"),
    },
    "shipper": {
        "en": ("Shipper", "Shipper / Exporter"), "de": ("Versender", "Absender"),
        "fr": ("Expéditeur", "Chargeur"), "es": ("Embarcador", "Remitente"),
    },
    "consignee": {
        "en": ("Consignee",), "de": ("Empfänger", "Warenempfänger"),
        "fr": ("Destinataire",), "es": ("Consignatario", "Destinatario"),
    },
    "invoice_ref": {
        "en": ("Invoice No.", "Invoice Ref."), "de": ("Rechnung Nr.", "Zu Rechnung"),
        "fr": ("Facture n°", "Réf. facture"), "es": ("Factura n.º", "Ref. factura"),
    },
    "marks": {
        "en": ("Shipping Marks", "Marks & Numbers"), "de": ("Markierung", "Versandmarkierung"),
        "fr": ("Marques", "Marques et numéros"), "es": ("Marcas", "Marcas y números"),
    },
    "packages": {
        "en": ("Packages", "No. of Pkgs"), "de": ("Packstücke", "Colli"),
        "fr": ("Colis", "Nbre colis"), "es": ("Bultos", "N.º bultos"),
    },
    "net": {
        "en": ("Net Weight (kg)", "N.W. kg"), "de": ("Nettogewicht (kg)", "Netto kg"),
        "fr": ("Poids net (kg)", "P. net kg"), "es": ("Peso neto (kg)", "P. neto kg"),
    },
    "gross": {
        "en": ("Gross Weight (kg)", "G.W. kg"), "de": ("Bruttogewicht (kg)", "Brutto kg"),
        "fr": ("Poids brut (kg)", "P. brut kg"), "es": ("Peso bruto (kg)", "P. bruto kg"),
    },
    "total_row": {"en": ("Total", "TOTAL"), "de": ("Summe", "Gesamt"), "fr": ("Total",),
                  "es": ("Total",)},
    "total_packages": {
        "en": ("Total Packages",), "de": ("Packstücke gesamt",), "fr": ("Total colis",),
        "es": ("Total bultos",),
    },
    "total_net": {
        "en": ("Total Net Weight",), "de": ("Gesamtnettogewicht",),
        "fr": ("Poids net total",), "es": ("Peso neto total",),
    },
    "total_gross": {
        "en": ("Total Gross Weight",), "de": ("Gesamtbruttogewicht",),
        "fr": ("Poids brut total",), "es": ("Peso bruto total",),
    },
    "container": {
        "en": ("Container No.", "Containers"), "de": ("Container-Nr.", "Container"),
        "fr": ("N° conteneur", "Conteneurs"), "es": ("N.º contenedor", "Contenedores"),
    },
    # --- bill of lading ---
    "bl_title": {
        "en": ("BILL OF LADING", "Bill of Lading", "SEA WAYBILL"),
        "de": ("KONNOSSEMENT", "Seefrachtbrief"),
        "fr": ("CONNAISSEMENT", "Connaissement maritime"),
        "es": ("CONOCIMIENTO DE EMBARQUE",),
    },
    "bl_number": {
        "en": ("B/L No.", "Bill of Lading No.", "B/L Number"),
        "de": ("Konnossement Nr.", "B/L-Nr."),
        "fr": ("Connaissement n°", "N° B/L"), "es": ("B/L n.º", "Conocimiento n.º"),
    },
    "notify": {
        "en": ("Notify Party", "Notify"), "de": ("Meldeadresse", "Notify"),
        "fr": ("Adresse de notification", "Notify"), "es": ("Notificar a", "Parte a notificar"),
    },
    "vessel": {
        "en": ("Ocean Vessel", "Vessel"), "de": ("Schiff", "Seeschiff"), "fr": ("Navire",),
        "es": ("Buque",),
    },
    "voyage": {
        "en": ("Voyage No.", "Voy. No."), "de": ("Reise-Nr.", "Reise"), "fr": ("Voyage n°",),
        "es": ("Viaje n.º",),
    },
    "pol": {
        "en": ("Port of Loading",), "de": ("Verladehafen", "Ladehafen"),
        "fr": ("Port de chargement",), "es": ("Puerto de carga", "Puerto de embarque"),
    },
    "pod": {
        "en": ("Port of Discharge",), "de": ("Löschhafen", "Entladehafen"),
        "fr": ("Port de déchargement",), "es": ("Puerto de descarga",),
    },
    "container_seal": {
        "en": ("Container / Seal No.", "Container No. / Seal No."),
        "de": ("Container / Plombe",), "fr": ("Conteneur / Plomb",),
        "es": ("Contenedor / Precinto",),
    },
    "seal": {"en": ("Seal",), "de": ("Plombe",), "fr": ("Plomb",), "es": ("Precinto",)},
    "goods": {
        "en": ("Description of Goods",), "de": ("Warenbeschreibung",),
        "fr": ("Désignation des marchandises",), "es": ("Descripción de las mercancías",),
    },
    "measurement": {"en": ("Measurement",), "de": ("Maße",), "fr": ("Cubage",),
                    "es": ("Volumen",)},
    "bl_date": {
        "en": ("Date of Issue", "Shipped on Board Date"), "de": ("Ausstellungsdatum",),
        "fr": ("Date d'émission",), "es": ("Fecha de emisión",),
    },
    "place_of_issue": {
        "en": ("Place of Issue",), "de": ("Ausstellungsort",), "fr": ("Lieu d'émission",),
        "es": ("Lugar de emisión",),
    },
    "freight_payable": {
        "en": ("Freight payable at",), "de": ("Fracht zahlbar in",),
        "fr": ("Fret payable à",), "es": ("Flete pagadero en",),
    },
    "originals": {
        "en": ("Number of Original B/Ls",), "de": ("Anzahl Originale",),
        "fr": ("Nombre d'originaux",), "es": ("Número de originales",),
    },
    "carrier": {"en": ("Carrier",), "de": ("Verfrachter",), "fr": ("Transporteur",),
                "es": ("Transportista",)},
}

COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "en": {"CN": "China", "VN": "Vietnam", "TR": "Turkey", "IN": "India", "KR": "South Korea",
           "US": "United States", "DE": "Germany", "FR": "France", "ES": "Spain",
           "NL": "Netherlands", "BE": "Belgium", "IT": "Italy", "GB": "United Kingdom"},
    "de": {"CN": "China", "VN": "Vietnam", "TR": "Türkei", "IN": "Indien", "KR": "Südkorea",
           "US": "USA", "DE": "Deutschland", "FR": "Frankreich", "ES": "Spanien",
           "NL": "Niederlande", "BE": "Belgien", "IT": "Italien",
           "GB": "Vereinigtes Königreich"},
    "fr": {"CN": "Chine", "VN": "Viet Nam", "TR": "Turquie", "IN": "Inde",
           "KR": "Corée du Sud", "US": "États-Unis", "DE": "Allemagne", "FR": "France",
           "ES": "Espagne", "NL": "Pays-Bas", "BE": "Belgique", "IT": "Italie",
           "GB": "Royaume-Uni"},
    "es": {"CN": "China", "VN": "Vietnam", "TR": "Turquía", "IN": "India",
           "KR": "Corea del Sur", "US": "Estados Unidos", "DE": "Alemania", "FR": "Francia",
           "ES": "España", "NL": "Países Bajos", "BE": "Bélgica", "IT": "Italia",
           "GB": "Reino Unido"},
}

UNIT_TEXT: dict[str, dict[str, tuple[str, ...]]] = {
    "H87": {"en": ("pcs", "pieces", "PCS"), "de": ("Stück", "Stk."), "fr": ("pièces", "pcs"),
            "es": ("piezas", "uds.")},
    "KGM": {"en": ("kg", "KGS"), "de": ("kg",), "fr": ("kg",), "es": ("kg",)},
    "MTR": {"en": ("m", "mtrs"), "de": ("m", "lfm"), "fr": ("m", "mètres"), "es": ("m", "metros")},
    "LTR": {"en": ("l", "ltr"), "de": ("l", "Liter"), "fr": ("l", "litres"), "es": ("l", "litros")},
    "SET": {"en": ("sets", "SET"), "de": ("Satz", "Sets"), "fr": ("jeux", "sets"),
            "es": ("juegos", "sets")},
    "PR": {"en": ("pairs", "PRS"), "de": ("Paar",), "fr": ("paires",), "es": ("pares",)},
}

PACKAGE_TEXT: dict[str, dict[str, tuple[str, str]]] = {
    # code -> language -> (singular, plural)
    "CT": {"en": ("carton", "cartons"), "de": ("Karton", "Kartons"),
           "fr": ("carton", "cartons"), "es": ("caja de cartón", "cajas de cartón")},
    "PX": {"en": ("pallet", "pallets"), "de": ("Palette", "Paletten"),
           "fr": ("palette", "palettes"), "es": ("palé", "palés")},
    "CS": {"en": ("case", "cases"), "de": ("Kiste", "Kisten"), "fr": ("caisse", "caisses"),
           "es": ("cajón", "cajones")},
    "BG": {"en": ("bag", "bags"), "de": ("Beutel", "Beutel"), "fr": ("sac", "sacs"),
           "es": ("bolsa", "bolsas")},
    "RO": {"en": ("roll", "rolls"), "de": ("Rolle", "Rollen"), "fr": ("rouleau", "rouleaux"),
           "es": ("rollo", "rollos")},
    "PK": {"en": ("package", "packages"), "de": ("Packstück", "Packstücke"),
           "fr": ("colis", "colis"), "es": ("bulto", "bultos")},
}

MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
}

# number style -> (thousands separator, decimal mark)
NUMBER_STYLES: dict[str, tuple[str, str]] = {
    "en": (",", "."), "de": (".", ","), "fr": (" ", ","), "ch": ("'", "."),
    "plain-dot": ("", "."), "plain-comma": ("", ","),
}
NUMBER_STYLES_BY_LANGUAGE = {
    "en": ("en", "en", "plain-dot", "ch"), "de": ("de", "de", "plain-comma", "ch"),
    "fr": ("fr", "de", "plain-comma"), "es": ("de", "en", "plain-comma"),
}
DATE_STYLES_BY_LANGUAGE = {
    "en": ("iso", "dmy-slash", "long", "us-long", "abbrev"),
    "de": ("dmy-dot", "long", "iso"), "fr": ("dmy-slash", "long", "iso"),
    "es": ("dmy-slash", "long", "dmy-dash"),
}


def format_number(value: Decimal, style: str, places: int = 2) -> str:
    """Decimal -> text in a number style, rounded half up to ``places``."""
    thousands, mark = NUMBER_STYLES[style]
    quantum = Decimal(1).scaleb(-places)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    digits = f"{abs(rounded):.{places}f}"
    integer, _, fraction = digits.partition(".")
    groups = []
    while len(integer) > 3:
        groups.insert(0, integer[-3:])
        integer = integer[:-3]
    groups.insert(0, integer)
    text = thousands.join(groups) if thousands else "".join(groups)
    return sign + text + (mark + fraction if places else "")


def format_date(value: dt.date, style: str, language: str) -> str:
    if style == "iso":
        return value.isoformat()
    if style == "dmy-dot":
        return f"{value.day:02d}.{value.month:02d}.{value.year}"
    if style == "dmy-slash":
        return f"{value.day:02d}/{value.month:02d}/{value.year}"
    if style == "dmy-dash":
        return f"{value.day:02d}-{value.month:02d}-{value.year}"
    month = MONTHS[language][value.month - 1]
    if style == "us-long":
        return f"{month} {value.day}, {value.year}"
    if style == "abbrev":
        return f"{value.day:02d}-{MONTHS['en'][value.month - 1][:3]}-{value.year}"
    # long, in the language's own way
    if language == "de":
        return f"{value.day}. {month} {value.year}"
    if language == "es":
        return f"{value.day} de {month} de {value.year}"
    return f"{value.day} {month} {value.year}"
