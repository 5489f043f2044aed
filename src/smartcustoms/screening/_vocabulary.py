"""Word lists for the labelled screening set (``variants``): the raw material of names
that are not on any list. Written for this project (Apache-2.0 like the code); common
given names and surnames of many languages, trade words, place names and invented
brand words, the kind of names customs declarations carry. None of it is used by the
matcher: negatives must not be built from the matcher's own notion of "generic".
"""

from __future__ import annotations


def word_list(text: str) -> tuple[str, ...]:
    return tuple(text.split())

# Words of trade names that say what a business does, not which one it is.
GENERIC_WORDS = frozenset(word_list("""
trading trade traders international global general national industrial industries
industry group holding holdings investment investments finance financial capital bank
banking exchange services service shipping marine maritime logistics transport
transportation freight cargo airlines aviation air petroleum oil gas energy power
chemical chemicals pharmaceutical pharma medical technology technologies tech systems
engineering construction development import export imports exports commercial commerce
enterprise enterprises resources mining metals steel electronics electric electrical
textile textiles foods food agricultural agro manufacturing factory products supply
supplies equipment machinery motors automotive consulting management partners
solutions network networks media communications telecom insurance securities fund
foundation trust association society organization organisation institute center
centre office agency company corporation establishment works import-export real estate
property properties development developments travel tourism hotel hotels
"""))

LEGAL_FORMS = ("LLC", "Ltd", "Ltd.", "Limited", "GmbH", "Co., Ltd.", "Co. Ltd", "S.A.",
               "Inc.", "JSC", "Company", "Co.", "Corp.", "Corporation", "AG", "B.V.",
               "S.R.L.", "LLP", "PLC", "FZE", "Limited Liability Company", "OOO", "SARL",
               "Pte. Ltd.", "Sdn. Bhd.", "S.p.A.", "A.S.", "Pvt. Ltd.")

# Legal forms and their long or short spellings, swapped by the legal-form variants.
LEGAL_FORM_SWAPS = {
    "llc": ("Limited Liability Company", "L.L.C."),
    "limited liability company": ("LLC",),
    "ltd": ("Limited", "Ltd."),
    "limited": ("Ltd", "Ltd."),
    "co ltd": ("Company Limited", "Co. Limited", "Co Ltd"),
    "company limited": ("Co., Ltd.", "Co. Ltd"),
    "company": ("Co.", "Co"),
    "co": ("Company",),
    "corporation": ("Corp.", "Corp"),
    "corp": ("Corporation",),
    "gmbh": ("G.m.b.H.", "Gesellschaft mit beschränkter Haftung"),
    "sa": ("S.A.", "Sociedad Anonima"),
    "inc": ("Incorporated", "Inc"),
    "jsc": ("Joint Stock Company", "J.S.C."),
    "joint stock company": ("JSC",),
    "plc": ("Public Limited Company", "P.L.C."),
}

BRAND_WORDS = tuple(word_list("""
Nordlicht Hanseatic Brightwave Silverline Bluewater Greenfield Alpenrose Baltica Cascadia
Kestrel Meridian Solstice Wavecrest Lindenhof Edelweiss Seabright Harborview Oakridge
Pinecrest Riverbend Stonebridge Westwind Northgate Eastbrook Southport Clearwater
Goldleaf Ironwood Maplewood Redwood Sunflower Starling Larkspur Bluebell Heather
Juniper Willowbrook Foxglove Marigold Primrose Thistle Bramble Hawthorn Rowan Alder
Birchwood Cedarline Cypress Elmstead Fernhill Glenmore Hollybush Ivybridge Kingsway
Lakeshore Millbrook Newhaven Orchard Parkside Queensway Rosehill Sandhurst Thornbury
Upland Valeview Whitehall Yarrow Zephyrine Corvina Lumenor Veltrix Quantora Solvexa
Brixella Tavora Orvanta Kelvora Mirandel Novacrest Primaveral Sorrento Tessaline
Valmora Zentrika Ambrosia Belmonte Calderon Dorado Estrella Fontana Girasol Horizonte
Isla Jardin Lucero Marisol Nevada Oceano Palmera Quinta Riviera Serrano Tierra
Umbral Ventura Xalapa Yucca Zafiro Hamburg Bremen Kiel Lubeck Rostock Antwerp Ghent
Rotterdam Utrecht Lyon Marseille Bordeaux Nantes Porto Braga Valencia Sevilla Bilbao
Genova Livorno Napoli Trieste Gdansk Szczecin Gothenburg Malmo Aarhus Bergen Tampere
Ningbo Xiamen Qingdao Dalian Tianjin Shenzhen Guangzhou Busan Incheon Osaka Kobe
Yokohama Chennai Pune Surat Mombasa Durban Lagos Santos Recife Callao Valparaiso
"""))

GIVEN_NAMES = tuple(word_list("""
James John Robert Michael William David Richard Thomas Charles Daniel Matthew Anthony
Mark Paul Steven Andrew Joshua Kevin Brian George Edward Mary Patricia Jennifer Linda
Elizabeth Barbara Susan Jessica Sarah Karen Nancy Lisa Margaret Sandra Emily Emma
Olivia Sophie Charlotte Hannah Hans Klaus Jurgen Lukas Jonas Felix Stefan Wolfgang
Katharina Sabine Ursula Petra Monika Anja Pierre Jean Louis Antoine Camille Chloe
Manon Juliette Sylvie Nathalie Jose Carlos Juan Javier Miguel Pablo Sergio Alejandro
Lucia Carmen Elena Isabel Marta Sofia Joao Tiago Rafael Beatriz Ines Giuseppe Marco
Luca Matteo Giulia Francesca Chiara Alessandra Ivan Dmitry Sergei Alexei Nikolai
Olga Natalia Tatiana Svetlana Irina Omar Khalid Ahmed Youssef Karim Tariq Samir
Fatima Layla Mariam Nour Yasmin Mehmet Emre Burak Ayse Elif Zeynep Wei Fang Jun Ming
Hao Xiaoming Lina Mei Ying Jian Minjun Jiwoo Seoyeon Hyun Hiroshi Takeshi Kenji Yuki
Akiko Haruka Rahul Amit Vikram Priya Anjali Deepa Kwame Chinedu Amara Ngozi Thabo
Lars Erik Ingrid Astrid Piotr Katarzyna Tomasz Jan Eva Petr Jana Andras Zsofia
"""))

SURNAMES = tuple(word_list("""
Smith Johnson Williams Brown Jones Miller Davis Wilson Taylor Anderson Thompson White
Harris Clark Lewis Walker Hall Young Allen Wright King Scott Green Baker Adams Nelson
Mueller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch
Richter Klein Wolf Neumann Dubois Durand Lefebvre Moreau Laurent Simon Michel Garnier
Fournier Girard Garcia Martinez Lopez Gonzalez Perez Sanchez Ramirez Torres Flores
Rivera Gomez Diaz Silva Santos Oliveira Pereira Costa Ferreira Almeida Rossi Russo
Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Smirnov Kuznetsov Popov
Sokolov Lebedev Kozlov Novikov Morozov Volkov Haddad Nasser Khalil Mansour Saleh
Hamdan Aziz Yilmaz Kaya Demir Sahin Celik Yildiz Wang Li Zhang Liu Chen Yang Huang
Zhao Zhou Wu Kim Lee Park Choi Jung Kang Cho Yoon Tanaka Suzuki Sato Watanabe Ito
Yamamoto Nakamura Kobayashi Sharma Patel Singh Kumar Gupta Mehta Reddy Iyer Okafor
Mensah Nkosi Adeyemi Banda Hansen Johansson Nielsen Larsen Kowalski Nowak Wisniewski
Novak Svoboda Horvath Nagy Papadopoulos Georgiou
"""))

INDUSTRY_PHRASES = (
    "Trading", "International Trading", "Logistics", "Shipping", "Industries",
    "Electronics", "Textiles", "Import Export", "Machinery", "Foods", "Chemicals",
    "Engineering", "Holding", "Group", "Technologies", "Metals", "Auto Parts",
    "Agricultural Products", "Marine Services", "Freight Forwarding", "Pharmaceuticals",
    "Plastics", "Packaging", "Furniture", "Garments", "Steel", "Energy", "Commodities",
)
