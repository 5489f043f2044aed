"""What trade documents print as labels, column headers and titles, in several languages.

Phrases are written as a reader would type them; they are normalised once at import
(``label_key``: lower case, accents and punctuation dropped, 'N°', 'Nr.', '#' read as
'no'), so 'Rechnungs-Nr.:' and 'rechnungs nr' are the same key. Each phrase carries its
language, which lets the reader guess the document's number and date conventions when the
numbers themselves do not tell.

Field keys are the reader's, not the model's: ``number`` is the document's own number,
``party.id`` a tax-number line inside a party block, and ``ignore`` marks labels that are
known but read into no field (payment terms, bank, page) so they stop blocks and never
pass for another label by fuzzy matching.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from smartcustoms.documents.codes import normalise_text

_NUMBER_SIGNS = re.compile(
    r"(?<!\w)(?:n[°º˚]|n\.\s*[°º˚o]|nr\.?|no\.|num\.?|#)(?!\w)", re.IGNORECASE
)


def label_key(text: str) -> str:
    """Normalised label text: 'Facture n°:' -> 'facture no', 'Rechnungs-Nr.' -> 'rechnungs no'.

    >>> label_key("N.º de factura"), label_key("Invoice #")
    ('no de factura', 'invoice no')
    """
    return normalise_text(_NUMBER_SIGNS.sub(" no ", text))


@dataclass(frozen=True, slots=True)
class Phrase:
    key: str  # field or column key
    language: str  # en, de, fr, es, it, nl, pt, or '*' when shared


def _table(entries: dict[str, dict[str, tuple[str, ...]]]) -> Mapping[str, Phrase]:
    out: dict[str, Phrase] = {}
    for key, by_language in entries.items():
        for language, phrases in by_language.items():
            for phrase in phrases:
                normal = label_key(phrase)
                # First writer wins: list the specific phrase before a shared one.
                out.setdefault(normal, Phrase(key, language))
    return MappingProxyType(out)


_COMMON_IGNORED = {
    "en": ("page", "tel", "telephone", "phone", "fax", "e mail", "email", "mail", "web",
           "website", "www", "iban", "bic", "swift", "bank", "bank details", "account",
           "account no", "payment terms", "terms of payment", "payment", "due date",
           "delivery date", "order no", "order number", "our order", "your order",
           "purchase order", "p o no", "po no", "p o", "customer no", "customer number",
           "customer id", "reference", "our ref", "your ref", "contact", "signature",
           "authorized signature", "stamp", "remarks", "notes", "vat", "tax", "vat amount",
           "sales tax", "country of origin", "country of export", "country of destination",
           "net weight", "gross weight", "carrier", "place of issue", "place of receipt",
           "place of delivery", "freight payable at", "number of original b ls",
           "number of originals", "no of originals", "measurement", "type",
           "pre carriage by", "final destination", "shipped on board", "said to contain",
           "brought forward", "carried forward", "carry forward", "page total",
           "continued", "to be continued"),
    "de": ("seite", "telefon", "tel", "fax", "e mail", "bankverbindung", "iban", "bic",
           "konto", "zahlungsbedingungen", "zahlungsziel", "faellig", "fallig",
           "lieferdatum", "leistungsdatum", "bestellung", "ihre bestellung", "bestell no",
           "bestellnummer", "auftrag", "auftragsnummer", "kundennummer", "kunden no",
           "ihr zeichen", "unser zeichen", "ansprechpartner", "unterschrift", "bemerkungen",
           "mwst", "ust", "umsatzsteuer", "ursprungsland", "verfrachter", "ausstellungsort",
           "fracht zahlbar in", "anzahl originale", "masse", "uebertrag", "ubertrag"),
    "fr": ("page", "tel", "telephone", "fax", "courriel", "coordonnees bancaires", "iban",
           "rib", "conditions de paiement", "conditions de reglement", "echeance",
           "date d echeance", "date de livraison", "votre commande", "commande",
           "no de commande", "no client", "code client", "votre reference", "signature",
           "remarques", "tva", "montant tva", "pays d origine", "transporteur",
           "lieu d emission", "fret payable a", "nombre d originaux", "cubage", "a reporter",
           "report", "reporte"),
    "es": ("pagina", "telefono", "tel", "fax", "correo", "datos bancarios", "iban",
           "condiciones de pago", "forma de pago", "vencimiento", "fecha de vencimiento",
           "fecha de entrega", "su pedido", "pedido", "pedido no", "no de pedido",
           "no de cliente", "cliente no", "codigo cliente", "firma", "observaciones", "iva",
           "pais de origen", "transportista", "lugar de emision", "flete pagadero en",
           "numero de originales", "volumen", "suma y sigue", "suma anterior"),
}

_PARTY_ID = {
    "en": ("vat no", "vat number", "vat id", "vat reg no", "eori", "eori no", "eori number",
           "tax id", "tax no", "tin", "gst no", "gstin", "uscc", "ein", "company reg no",
           "iec", "iec no"),
    "de": ("ust idnr", "ust id no", "ust id", "ust idno", "umsatzsteuer id", "steuer no",
           "steuernummer", "eori no", "uid", "uid no"),
    "fr": ("no tva", "tva intracommunautaire", "no tva intracommunautaire", "siret", "siren",
           "no eori", "numero eori", "identifiant tva"),
    "es": ("nif", "nif iva", "cif", "nif no", "no eori", "rfc", "ruc", "nit", "cuit"),
}

INVOICE_LABELS = _table({
    "number": {
        "en": ("invoice no", "invoice number", "invoice nbr", "inv no", "invoice", "no of invoice",
               "commercial invoice no", "invoice ref"),
        "de": ("rechnungsnummer", "rechnung no", "rechnungs no", "rechnungsnr", "re no",
               "rechnung"),
        "fr": ("facture no", "no de facture", "numero de facture", "no facture",
               "facture numero", "facture"),
        "es": ("factura no", "no de factura", "numero de factura", "no factura", "factura"),
        "it": ("fattura no", "numero fattura", "fattura n"),
    },
    "date": {
        "en": ("invoice date", "date of invoice", "date", "dated", "issue date", "date of issue"),
        "de": ("rechnungsdatum", "datum", "ausstellungsdatum"),
        "fr": ("date de facture", "date facture", "date de la facture", "date d emission"),
        "es": ("fecha de factura", "fecha factura", "fecha", "fecha de emision"),
        "it": ("data fattura", "data"),
    },
    "seller": {
        "en": ("seller", "exporter", "seller exporter", "exporter seller", "vendor",
               "supplier", "from", "shipper exporter", "beneficiary", "manufacturer seller"),
        "de": ("verkaufer", "verkaeufer", "exporteur", "lieferant", "ausfuhrer", "absender",
               "von"),
        "fr": ("vendeur", "exportateur", "fournisseur", "expediteur", "de"),
        "es": ("vendedor", "exportador", "proveedor", "remitente", "de"),
        "it": ("venditore", "esportatore", "fornitore"),
    },
    "buyer": {
        "en": ("buyer", "sold to", "bill to", "billed to", "invoice to", "invoiced to",
               "customer", "importer", "buyer importer", "importer buyer", "to",
               "buyer if other than consignee", "purchaser"),
        "de": ("kaufer", "kaeufer", "rechnungsempfanger", "rechnungsempfaenger",
               "rechnungsadresse", "kunde", "importeur", "an"),
        "fr": ("acheteur", "client", "facture a", "factures a", "importateur", "a"),
        "es": ("comprador", "cliente", "facturar a", "facturado a", "importador", "a"),
        "it": ("acquirente", "cliente", "importatore"),
    },
    "consignee": {
        "en": ("consignee", "ship to", "deliver to", "delivery address"),
        "de": ("empfanger", "warenempfanger", "lieferadresse", "lieferanschrift"),
        "fr": ("destinataire", "livre a", "adresse de livraison"),
        "es": ("consignatario", "destinatario", "entregar a", "direccion de entrega"),
    },
    "currency": {
        "en": ("currency", "invoice currency", "currency code"),
        "de": ("wahrung", "waehrung"),
        "fr": ("devise", "monnaie"),
        "es": ("moneda", "divisa"),
        "it": ("valuta",),
    },
    "terms": {
        "en": ("terms of delivery", "delivery terms", "incoterms", "incoterms 2020",
               "incoterm", "incoterms 2010", "trade terms", "terms of sale", "shipping terms",
               "price terms"),
        "de": ("lieferbedingungen", "lieferbedingung", "lieferkondition", "lieferkonditionen"),
        "fr": ("conditions de livraison", "condition de livraison", "termes de livraison"),
        "es": ("condiciones de entrega", "terminos de entrega", "condicion de entrega"),
        "it": ("condizioni di consegna", "resa"),
    },
    "subtotal": {
        "en": ("subtotal", "sub total", "total goods value", "goods value", "net total",
               "total net", "merchandise total", "value of goods", "total ex works"),
        "de": ("zwischensumme", "warenwert", "nettobetrag", "summe netto", "gesamt netto"),
        "fr": ("sous total", "total marchandises", "valeur marchandises", "total ht",
               "montant ht"),
        "es": ("subtotal", "valor mercancia", "valor de la mercancia", "base imponible"),
    },
    "discount": {
        "en": ("discount", "less discount", "rebate", "trade discount"),
        "de": ("rabatt", "nachlass", "skonto", "preisnachlass"),
        "fr": ("remise", "rabais", "escompte"),
        "es": ("descuento", "rebaja", "bonificacion"),
    },
    "freight": {
        "en": ("freight", "freight charges", "freight cost", "shipping", "shipping charges",
               "sea freight", "ocean freight", "air freight", "transport costs"),
        "de": ("fracht", "frachtkosten", "versandkosten", "transportkosten", "seefracht"),
        "fr": ("fret", "frais de transport", "frais de port", "transport"),
        "es": ("flete", "gastos de envio", "gastos de transporte", "transporte"),
    },
    "insurance": {
        "en": ("insurance", "insurance charges", "insurance premium", "cargo insurance"),
        "de": ("versicherung", "transportversicherung"),
        "fr": ("assurance", "frais d assurance"),
        "es": ("seguro", "prima de seguro"),
    },
    "total": {
        "en": ("total", "total amount", "invoice total", "grand total", "total value",
               "total invoice value", "amount due", "total due", "total payable",
               "invoice amount", "total invoice amount", "total cif value", "total fob value",
               "total amount due"),
        "de": ("gesamtbetrag", "rechnungsbetrag", "endbetrag", "gesamtsumme", "summe",
               "gesamt", "zu zahlen", "rechnungssumme", "total"),
        "fr": ("montant total", "total facture", "total a payer", "net a payer", "total ttc",
               "total general", "total"),
        "es": ("importe total", "total factura", "total a pagar", "valor total",
               "importe", "total general", "total"),
    },
})

PACKING_LABELS = _table({
    "number": {
        "en": ("packing list no", "packing list number", "p l no", "pl no", "packing no",
               "packing list", "packing list ref"),
        "de": ("packliste no", "packlisten no", "packlistennummer", "packliste"),
        "fr": ("liste de colisage no", "no de colisage", "colisage no", "no liste de colisage"),
        "es": ("lista de empaque no", "no de lista", "lista de embalaje no",
               "no de lista de empaque", "packing list no"),
    },
    "date": {
        "en": ("date", "packing list date", "date of issue", "issue date"),
        "de": ("datum", "ausstellungsdatum"),
        "fr": ("date",),
        "es": ("fecha",),
    },
    "invoice_number": {
        "en": ("invoice no", "invoice number", "invoice ref", "commercial invoice no",
               "invoice", "inv no"),
        "de": ("rechnung no", "rechnungsnummer", "zu rechnung", "rechnungs no"),
        "fr": ("facture no", "ref facture", "no de facture", "facture"),
        "es": ("factura no", "ref factura", "no de factura", "factura"),
    },
    "shipper": {
        "en": ("shipper", "shipper exporter", "exporter", "seller", "consignor", "from",
               "supplier"),
        "de": ("versender", "absender", "exporteur", "lieferant", "verkaufer"),
        "fr": ("expediteur", "chargeur", "exportateur", "vendeur"),
        "es": ("embarcador", "remitente", "exportador", "vendedor", "cargador"),
    },
    "consignee": {
        "en": ("consignee", "ship to", "buyer", "importer", "to", "deliver to", "sold to"),
        "de": ("empfanger", "warenempfanger", "kaufer", "importeur", "an"),
        "fr": ("destinataire", "acheteur", "importateur", "consignataire"),
        "es": ("consignatario", "destinatario", "comprador", "importador"),
    },
    "marks": {
        "en": ("shipping marks", "marks", "marks and numbers", "marks numbers",
               "marks nos", "marks and nos"),
        "de": ("markierung", "versandmarkierung", "markierungen", "zeichen und nummern"),
        "fr": ("marques", "marques et numeros", "marquage"),
        "es": ("marcas", "marcas y numeros", "marcas de envio"),
    },
    "total_packages": {
        "en": ("total packages", "total no of packages", "total number of packages",
               "total cartons", "total pkgs", "no of packages", "number of packages",
               "packages"),
        "de": ("packstucke gesamt", "gesamtzahl packstucke", "anzahl packstucke",
               "colli gesamt", "packstucke"),
        "fr": ("total colis", "nombre de colis", "nombre total de colis", "colis"),
        "es": ("total bultos", "numero de bultos", "total de bultos", "bultos"),
    },
    "total_net": {
        "en": ("total net weight", "total net wt", "total n w", "net weight total",
               "total net mass", "net weight", "total net"),
        "de": ("gesamtnettogewicht", "nettogewicht gesamt", "gesamt nettogewicht",
               "nettogewicht"),
        "fr": ("poids net total", "total poids net", "poids net"),
        "es": ("peso neto total", "total peso neto", "peso neto"),
    },
    "total_gross": {
        "en": ("total gross weight", "total gross wt", "total g w", "gross weight total",
               "total gross mass", "gross weight", "total gross"),
        "de": ("gesamtbruttogewicht", "bruttogewicht gesamt", "gesamt bruttogewicht",
               "bruttogewicht"),
        "fr": ("poids brut total", "total poids brut", "poids brut"),
        "es": ("peso bruto total", "total peso bruto", "peso bruto"),
    },
    "containers": {
        "en": ("container no", "container nos", "containers", "container", "container number",
               "cntr no"),
        "de": ("container no", "container", "containernummer"),
        "fr": ("no conteneur", "conteneurs", "conteneur"),
        "es": ("no contenedor", "contenedores", "contenedor"),
    },
})

LADING_LABELS = _table({
    "number": {
        "en": ("b l no", "b l number", "bill of lading no", "bill of lading number", "bl no",
               "bl number", "b l", "waybill no", "sea waybill no", "document no",
               "b l ref"),
        "de": ("konnossement no", "konnossementsnummer", "b l no", "konnossement"),
        "fr": ("connaissement no", "no b l", "no de connaissement", "no connaissement"),
        "es": ("b l no", "conocimiento no", "no de conocimiento", "numero de conocimiento",
               "no b l"),
    },
    "date": {
        "en": ("date of issue", "shipped on board date", "on board date", "issue date",
               "date", "place and date of issue", "date shipped on board", "laden on board"),
        "de": ("ausstellungsdatum", "datum", "an bord datum", "verschiffungsdatum"),
        "fr": ("date d emission", "date", "date de mise a bord", "date d embarquement"),
        "es": ("fecha de emision", "fecha", "fecha de embarque", "fecha a bordo"),
    },
    "shipper": {
        "en": ("shipper", "shipper exporter", "exporter", "consignor"),
        "de": ("versender", "ablader", "absender", "befrachter"),
        "fr": ("expediteur", "chargeur"),
        "es": ("embarcador", "cargador", "remitente"),
    },
    "consignee": {
        "en": ("consignee",),
        "de": ("empfanger", "warenempfanger"),
        "fr": ("destinataire", "consignataire"),
        "es": ("consignatario", "destinatario"),
    },
    "notify": {
        "en": ("notify party", "notify", "notify address", "also notify"),
        "de": ("meldeadresse", "benachrichtigungsadresse", "notify adresse"),
        "fr": ("adresse de notification", "partie a notifier", "notifier a", "notify"),
        "es": ("notificar a", "parte a notificar", "notificar", "notify"),
    },
    "port_of_loading": {
        "en": ("port of loading", "pol", "port of shipment", "loading port"),
        "de": ("verladehafen", "ladehafen", "einschiffungshafen"),
        "fr": ("port de chargement", "port d embarquement"),
        "es": ("puerto de carga", "puerto de embarque"),
    },
    "port_of_discharge": {
        "en": ("port of discharge", "pod", "discharge port", "port of destination"),
        "de": ("loschhafen", "loeschhafen", "entladehafen", "bestimmungshafen"),
        "fr": ("port de dechargement", "port de destination", "port de debarquement"),
        "es": ("puerto de descarga", "puerto de destino", "puerto de desembarque"),
    },
    "vessel": {
        "en": ("ocean vessel", "vessel", "vessel name", "name of vessel", "ship"),
        "de": ("schiff", "seeschiff", "schiffsname"),
        "fr": ("navire", "nom du navire"),
        "es": ("buque", "nombre del buque", "nave"),
    },
    "voyage": {
        "en": ("voyage no", "voy no", "voyage", "voyage number"),
        "de": ("reise no", "reise", "reisenummer"),
        "fr": ("voyage no", "no de voyage", "voyage"),
        "es": ("viaje no", "viaje", "no de viaje"),
    },
    "vessel_voyage": {
        "en": ("vessel voyage", "vessel voyage no", "ocean vessel voyage no",
               "vessel and voyage", "vessel voy"),
        "de": ("schiff reise",),
        "fr": ("navire voyage",),
        "es": ("buque viaje",),
    },
    "packages": {
        "en": ("no of pkgs", "no of packages", "number of packages", "packages",
               "total packages", "pkgs", "total no of packages", "no of containers or pkgs"),
        "de": ("packstucke", "anzahl packstucke", "colli", "anzahl der packstucke"),
        "fr": ("colis", "nombre de colis", "nbre colis", "nbre de colis"),
        "es": ("bultos", "no bultos", "numero de bultos", "no de bultos"),
    },
    "gross": {
        "en": ("gross weight", "gross weight kg", "g w kg", "g w", "gross wt", "gross mass",
               "total gross weight", "gross weight kgs", "weight"),
        "de": ("bruttogewicht", "bruttogewicht kg", "brutto kg", "brutto", "gewicht"),
        "fr": ("poids brut", "poids brut kg", "p brut kg", "poids"),
        "es": ("peso bruto", "peso bruto kg", "p bruto kg", "peso"),
    },
    "containers": {
        "en": ("container no", "containers", "container", "container seal no",
               "container no seal no", "cntr no"),
        "de": ("container no", "container", "container plombe"),
        "fr": ("no conteneur", "conteneur", "conteneur plomb"),
        "es": ("no contenedor", "contenedor", "contenedor precinto"),
    },
    "seal": {
        "en": ("seal", "seal no", "seals", "seal number"),
        "de": ("plombe", "plomben", "siegel"),
        "fr": ("plomb", "scelle", "plombs"),
        "es": ("precinto", "sello", "precintos"),
    },
})

IGNORED = _table({"ignore": _COMMON_IGNORED})
PARTY_ID = _table({"party.id": _PARTY_ID})

# --- table columns ------------------------------------------------------------------------
COLUMNS = _table({
    "pos": {"en": ("no", "pos", "item", "line", "item no", "s no", "sr no", "ln", "sl no"),
            "de": ("pos", "position", "lfd no"), "fr": ("no", "pos", "ligne"),
            "es": ("no", "pos", "linea")},
    "description": {
        "en": ("description", "description of goods", "goods description", "goods",
               "article", "product", "item description", "commodity", "particulars",
               "description of packages and goods", "kind of packages description of goods",
               "product description", "said to contain"),
        "de": ("beschreibung", "warenbezeichnung", "bezeichnung", "artikel",
               "artikelbezeichnung", "warenbeschreibung", "produkt", "ware"),
        "fr": ("designation", "description", "description des marchandises", "libelle",
               "designation des marchandises", "article", "produit", "marchandise"),
        "es": ("descripcion", "descripcion de la mercancia", "descripcion de las mercancias",
               "articulo", "producto", "concepto", "mercancia"),
    },
    "hs": {
        "en": ("hs code", "hs", "h s code", "hs no", "tariff no", "tariff code",
               "commodity code", "customs tariff no", "hts", "hts code", "cn code",
               "taric code", "customs code", "tariff"),
        "de": ("zolltarifnr", "zolltarif no", "zolltarifnummer", "warennummer", "hs code",
               "zolltarif", "statistische warennummer"),
        "fr": ("code sh", "nomenclature", "code douanier", "no tarifaire", "code nc",
               "position tarifaire"),
        "es": ("codigo sa", "partida arancelaria", "partida", "codigo arancelario",
               "posicion arancelaria", "codigo hs"),
    },
    "origin": {
        "en": ("origin", "country of origin", "coo", "made in", "orig"),
        "de": ("ursprung", "ursprungsland", "herkunft", "herkunftsland"),
        "fr": ("origine", "pays d origine"),
        "es": ("origen", "pais de origen"),
    },
    "qty": {
        "en": ("qty", "quantity", "quantities", "qty pcs", "pcs", "units"),
        "de": ("menge", "anzahl", "stuckzahl", "stueckzahl"),
        "fr": ("quantite", "qte", "qte"),
        "es": ("cantidad", "cant", "cdad"),
    },
    "unit": {
        "en": ("unit", "uom", "u m", "unit of measure", "units of measure"),
        "de": ("einheit", "me", "mengeneinheit"),
        "fr": ("unite", "u"),
        "es": ("unidad", "ud", "u m"),
    },
    "unit_price": {
        "en": ("unit price", "price unit", "price per unit", "price", "unit value", "rate",
               "unit cost", "price each"),
        "de": ("einzelpreis", "preis einheit", "stuckpreis", "preis", "ep", "e preis",
               "einzelpr", "preis je einheit", "preis stk"),
        "fr": ("prix unitaire", "p u", "pu", "prix", "prix unit"),
        "es": ("precio unitario", "precio unit", "precio", "p unit", "valor unitario"),
    },
    "amount": {
        "en": ("amount", "total", "line total", "total amount", "value", "total value",
               "total price", "extended price", "net amount", "ext price"),
        "de": ("betrag", "gesamtpreis", "gesamt", "summe", "wert", "gesamtbetrag",
               "gesamtwert", "positionswert", "g preis", "gp", "ges preis", "gesamtpr"),
        "fr": ("montant", "montant total", "total", "valeur", "prix total", "montant ht"),
        "es": ("importe", "total", "valor", "importe total", "precio total", "valor total"),
    },
    "packages": {
        "en": ("packages", "no of packages", "pkgs", "no of pkgs", "cartons", "ctns",
               "no of cartons", "number of packages", "packing", "pkg"),
        "de": ("packstucke", "colli", "anzahl packstucke", "kolli", "verpackung"),
        "fr": ("colis", "nbre colis", "nombre de colis", "nb colis"),
        "es": ("bultos", "no bultos", "numero de bultos", "cajas"),
    },
    "kind": {
        "en": ("kind of packages", "package type", "type of packages", "kind"),
        "de": ("packart", "art der packstucke", "verpackungsart"),
        "fr": ("type d emballage", "nature des colis", "emballage"),
        "es": ("tipo de embalaje", "tipo de bulto", "embalaje"),
    },
    "net": {
        "en": ("net weight", "net weight kg", "net wt", "n w", "n w kg", "nw", "net", "net kg",
               "net mass", "net weight kgs", "nett weight"),
        "de": ("nettogewicht", "nettogewicht kg", "netto", "netto kg", "gewicht netto"),
        "fr": ("poids net", "poids net kg", "p net", "p net kg", "net"),
        "es": ("peso neto", "peso neto kg", "p neto", "p neto kg", "neto"),
    },
    "gross": {
        "en": ("gross weight", "gross weight kg", "gross wt", "g w", "g w kg", "gw", "gross",
               "gross kg", "gross mass", "gross weight kgs", "weight"),
        "de": ("bruttogewicht", "bruttogewicht kg", "brutto", "brutto kg", "gewicht brutto",
               "gewicht"),
        "fr": ("poids brut", "poids brut kg", "p brut", "p brut kg", "brut", "poids"),
        "es": ("peso bruto", "peso bruto kg", "p bruto", "p bruto kg", "bruto", "peso"),
    },
    "marks": {
        "en": ("marks", "marks and numbers", "marks numbers", "shipping marks", "marks nos"),
        "de": ("markierung", "zeichen", "markierungen", "versandmarkierung",
               "zeichen und nummern", "markierung und nummern"),
        "fr": ("marques", "marques et numeros"),
        "es": ("marcas", "marcas y numeros"),
    },
    "container": {
        "en": ("container", "container no", "container seal no", "container no seal no",
               "cntr no", "container number", "containers"),
        "de": ("container", "container plombe", "container no"),
        "fr": ("conteneur", "conteneur plomb", "no conteneur"),
        "es": ("contenedor", "contenedor precinto", "no contenedor"),
    },
    "seal": {
        "en": ("seal", "seal no", "seals", "seal number"), "de": ("plombe", "plomben"),
        "fr": ("plomb", "scelle"), "es": ("precinto", "sello"),
    },
    "article": {
        "en": ("article no", "art no", "part no", "part number", "item code", "sku",
               "product code", "ref", "reference", "model", "model no", "style no"),
        "de": ("art no", "artikel no", "artikelnummer", "art nr", "materialnummer",
               "teilenummer", "bestellnummer"),
        "fr": ("reference", "ref", "code article", "no article"),
        "es": ("referencia", "ref", "codigo", "codigo articulo", "articulo no"),
    },
    "measure": {
        "en": ("measurement", "volume", "cbm", "m3", "dimensions", "size", "type",
               "size type"),
        "de": ("masse", "volumen", "abmessungen", "typ"),
        "fr": ("cubage", "volume", "dimensions", "type"),
        "es": ("volumen", "medidas", "dimensiones", "tipo"),
    },
})

NUMERIC_COLUMNS = frozenset({"qty", "unit_price", "amount", "packages", "net", "gross"})

# Lines that end a table body, or that sit inside it but are no goods line.
TABLE_STOPS = _table({
    "stop": {
        "en": ("subtotal", "sub total", "total", "totals", "grand total", "total amount",
               "invoice total", "freight", "insurance", "discount", "less discount",
               "total goods value", "total packages", "total net weight",
               "total gross weight", "amount due", "carried forward", "carry forward",
               "page total", "total value", "said to contain"),
        "de": ("zwischensumme", "summe", "gesamt", "gesamtbetrag", "rechnungsbetrag",
               "endbetrag", "warenwert", "fracht", "versicherung", "rabatt", "ubertrag",
               "uebertrag", "gesamtnettogewicht", "gesamtbruttogewicht", "packstucke gesamt"),
        "fr": ("sous total", "total", "montant total", "total facture", "fret", "assurance",
               "remise", "a reporter", "total colis", "poids net total", "poids brut total",
               "total marchandises"),
        "es": ("subtotal", "total", "importe total", "total factura", "flete", "seguro",
               "descuento", "suma y sigue", "total bultos", "peso neto total",
               "peso bruto total", "valor mercancia"),
    },
})
# Lines under a table that are page furniture: the body ends there.
FOOTERS = frozenset(label_key(p) for p in (
    "page", "seite", "pagina", "bank details", "bankverbindung", "coordonnees bancaires",
    "datos bancarios", "iban", "bic", "swift", "signature", "unterschrift", "firma",
    "authorized signature", "stamp and signature", "continued", "to be continued",
    "fortsetzung", "suite", "continua",
))
# Every totals label of invoices and packing lists ends a goods table too.
TABLE_STOPS = MappingProxyType(dict(TABLE_STOPS) | {
    phrase: Phrase("stop", entry.language)
    for table, keys in ((INVOICE_LABELS, ("subtotal", "discount", "freight", "insurance",
                                          "total")),
                        (PACKING_LABELS, ("total_packages", "total_net", "total_gross")))
    for phrase, entry in table.items() if entry.key in keys
})
CARRY_LINES = frozenset(label_key(p) for p in (
    "brought forward", "carried forward", "carry forward", "ubertrag", "uebertrag", "report",
    "a reporter", "suma anterior", "suma y sigue", "page total", "transfer",
))
TOTAL_ROW = frozenset(label_key(p) for p in (
    "total", "totals", "summe", "gesamt", "total general", "grand total", "sum",
))

# --- document titles ----------------------------------------------------------------------
TITLES = _table({
    "commercial_invoice": {
        "en": ("commercial invoice", "invoice", "tax invoice", "proforma invoice",
               "pro forma invoice", "export invoice", "customs invoice"),
        "de": ("rechnung", "handelsrechnung", "proforma rechnung", "zollrechnung"),
        "fr": ("facture", "facture commerciale", "facture proforma", "facture pro forma"),
        "es": ("factura", "factura comercial", "factura proforma"),
        "it": ("fattura", "fattura commerciale"),
        "nl": ("factuur", "handelsfactuur"),
    },
    "packing_list": {
        "en": ("packing list", "packing slip", "packing specification", "packinglist",
               "weight list", "packing and weight list"),
        "de": ("packliste", "packzettel", "packschein", "versandliste"),
        "fr": ("liste de colisage", "colisage", "note de colisage", "liste de colisages"),
        "es": ("lista de empaque", "lista de embalaje", "lista de empaques",
               "relacion de bultos"),
        "it": ("distinta di imballaggio", "lista di imballaggio"),
        "nl": ("paklijst",),
    },
    "bill_of_lading": {
        "en": ("bill of lading", "sea waybill", "ocean bill of lading", "house bill of lading",
               "master bill of lading", "combined transport bill of lading",
               "multimodal transport bill of lading", "non negotiable waybill",
               "express bill of lading", "b l"),
        "de": ("konnossement", "seefrachtbrief", "bordkonnossement"),
        "fr": ("connaissement", "connaissement maritime", "lettre de transport maritime"),
        "es": ("conocimiento de embarque", "conocimiento de embarque maritimo"),
        "it": ("polizza di carico",),
        "nl": ("cognossement",),
    },
})
