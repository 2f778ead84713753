"""Word lists for fictional personal data, products and campaigns.

All people, streets and products are made up; email domains use reserved ``.example`` /
``example.com`` style names so no real mailbox is ever addressed.
"""

from __future__ import annotations

# Language of each country (index order of reference.COUNTRIES).
COUNTRY_LANGUAGE = {"US": "en", "CA": "en", "GB": "en", "AU": "en", "DE": "de", "FR": "fr",
                    "NL": "nl", "SE": "sv", "JP": "ja"}

FIRST_NAMES = {
    "en": ["James", "Mary", "Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason",
           "Isla", "Lucas", "Grace", "Henry", "Chloe", "Jack", "Ruby", "Oscar", "Harper", "Leo",
           "Amelia", "Samuel", "Zoe", "Daniel"],
    "de": ["Lukas", "Anna", "Jonas", "Lea", "Felix", "Hannah", "Paul", "Lena", "Maximilian", "Marie",
           "Tobias", "Sophie", "Jürgen", "Katrin", "Moritz", "Greta"],
    "fr": ["Louis", "Camille", "Hugo", "Manon", "Jules", "Chloé", "Gabriel", "Léa", "Arthur", "Inès",
           "Théo", "Juliette", "Raphaël", "Zoé"],
    "nl": ["Daan", "Emma", "Sem", "Julia", "Finn", "Tess", "Luuk", "Sanne", "Bram", "Fleur",
           "Jesse", "Noor"],
    "sv": ["Erik", "Astrid", "Oskar", "Elsa", "Nils", "Maja", "Axel", "Linnea", "Hugo", "Saga",
           "Björn", "Ebba"],
    "ja": ["Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Yuto", "Sakura", "Kaito", "Mei",
           "Riku", "Yuna"],
}

LAST_NAMES = {
    "en": ["Smith", "Johnson", "Brown", "Taylor", "Wilson", "Davies", "Evans", "Thomas", "Roberts",
           "Walker", "Wright", "Thompson", "White", "Harris", "Martin", "Clarke", "Lewis", "Young",
           "King", "Hill", "Green", "Baker", "Adams", "Campbell"],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
           "Hoffmann", "Schäfer", "Koch", "Richter", "Klein", "Wolf"],
    "fr": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
           "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Girard"],
    "nl": ["de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Visser",
           "Smit", "Meijer", "de Boer", "Mulder", "Bos"],
    "sv": ["Andersson", "Johansson", "Karlsson", "Nilsson", "Eriksson", "Larsson", "Olsson",
           "Persson", "Svensson", "Gustafsson", "Lindström", "Åberg"],
    "ja": ["Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
           "Kobayashi", "Kato", "Yoshida", "Yamada"],
}

STREETS = {
    "US": ["Maple Street", "Oak Avenue", "Cedar Lane", "Pine Road", "Elm Street", "Lakeview Drive",
           "Hillcrest Avenue", "Sunset Boulevard", "Park Place", "River Road"],
    "CA": ["Maple Crescent", "King Street", "Queen Street", "Birch Avenue", "Lakeshore Road",
           "Spruce Drive", "Harbour Street", "Front Street"],
    "GB": ["High Street", "Station Road", "Church Lane", "Mill Lane", "Victoria Road", "Green Lane",
           "Manor Road", "Park Avenue"],
    "AU": ["George Street", "Beach Road", "Wattle Avenue", "Ocean Parade", "Banksia Drive",
           "Harbour Street", "Gum Tree Lane", "Bay Road"],
    "DE": ["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Schillerstraße",
           "Bergstraße", "Kirchplatz", "Am Markt"],
    "FR": ["rue de la Paix", "avenue Victor Hugo", "rue des Lilas", "boulevard Voltaire",
           "rue du Moulin", "place de l'Église", "rue Pasteur", "allée des Tilleuls"],
    "NL": ["Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsplein", "Prinsengracht", "Lindelaan",
           "Kastanjelaan", "Havenstraat"],
    "SE": ["Storgatan", "Kyrkogatan", "Drottninggatan", "Skolvägen", "Björkvägen", "Sjövägen",
           "Parkgatan", "Strandvägen"],
    "JP": ["Chuo", "Minami", "Sakae", "Hon-cho", "Midori", "Asahi", "Higashi", "Nishiki"],
}

CITIES = {
    "US": ["New York", "Chicago", "Seattle", "Austin", "Denver", "Boston", "Atlanta", "Portland",
           "San Diego", "Minneapolis"],
    "CA": ["Toronto", "Vancouver", "Montreal", "Calgary", "Ottawa", "Halifax", "Winnipeg"],
    "GB": ["London", "Manchester", "Bristol", "Leeds", "Edinburgh", "Glasgow", "Brighton", "York"],
    "AU": ["Sydney", "Melbourne", "Brisbane", "Perth", "Adelaide", "Hobart", "Canberra"],
    "DE": ["Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Leipzig", "Stuttgart"],
    "FR": ["Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Bordeaux", "Lille"],
    "NL": ["Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven", "Groningen"],
    "SE": ["Stockholm", "Göteborg", "Malmö", "Uppsala", "Lund", "Umeå"],
    "JP": ["Tokyo", "Osaka", "Yokohama", "Nagoya", "Sapporo", "Fukuoka", "Kyoto"],
}

EMAIL_DOMAINS = ["example.com", "example.net", "example.org", "mail.example", "inbox.example",
                 "post.example"]

CATEGORIES = {
    # category: (share of catalogue, typical USD price, adjectives, nouns)
    "Kitchen": (0.18, 32.0, ["Enamel", "Cast-Iron", "Bamboo", "Copper", "Stoneware", "Oak"],
                ["Skillet", "Mixing Bowl", "Cutting Board", "Kettle", "Spice Rack", "Knife Set", "Teapot"]),
    "Home": (0.17, 45.0, ["Linen", "Woven", "Ceramic", "Velvet", "Wool", "Rattan"],
             ["Throw Blanket", "Cushion", "Vase", "Table Lamp", "Mirror", "Rug", "Candle Set"]),
    "Garden": (0.12, 38.0, ["Galvanised", "Terracotta", "Cedar", "Solar", "Hardy", "Folding"],
               ["Planter", "Watering Can", "Trowel", "Bird Feeder", "Hose Reel", "Seed Kit"]),
    "Outdoor": (0.11, 60.0, ["Trail", "Packable", "Waterproof", "Insulated", "Summit", "Camp"],
                ["Backpack", "Water Bottle", "Tent", "Headlamp", "Hammock", "Stove"]),
    "Stationery": (0.10, 14.0, ["Dotted", "Recycled", "Linen-Bound", "Brass", "Pocket", "Classic"],
                   ["Notebook", "Fountain Pen", "Desk Organiser", "Planner", "Pencil Case", "Sketchbook"]),
    "Pets": (0.10, 26.0, ["Cosy", "Chew-Proof", "Orthopaedic", "Reflective", "Washable", "Calming"],
             ["Dog Bed", "Cat Tree", "Leash", "Food Bowl", "Toy Bundle", "Grooming Kit"]),
    "Toys": (0.11, 22.0, ["Wooden", "Magnetic", "Plush", "Stacking", "Musical", "Puzzle"],
             ["Train Set", "Building Blocks", "Bear", "Rocket", "Dollhouse", "Board Game"]),
    "Apparel": (0.11, 40.0, ["Merino", "Organic Cotton", "Quilted", "Ribbed", "Relaxed", "Everyday"],
                ["Sweater", "T-Shirt", "Beanie", "Scarf", "Jacket", "Socks Pack"]),
}

CAMPAIGN_THEMES = {
    "paid_search": ["brand", "generic", "shopping", "competitor", "dsa"],
    "paid_social": ["prospecting", "retargeting", "lookalike", "creators"],
    "display": ["retargeting", "awareness", "gift_guide"],
    "affiliate": ["partners", "cashback", "vouchers"],
}

UTM_SOURCES = {
    "paid_search": ["google", "bing"],
    "paid_social": ["facebook", "instagram", "tiktok"],
    "display": ["google_display", "criteo"],
    "affiliate": ["awin", "impact"],
    "email": ["newsletter", "crm"],
    "referral": ["giftguide_blog", "homeideas_forum", "parenting_weekly"],
}
UTM_MEDIUMS = {"paid_search": "cpc", "paid_social": "paid_social", "display": "display",
               "affiliate": "affiliate", "email": "email", "referral": "referral"}
EMAIL_CAMPAIGNS = ["weekly_newsletter", "new_arrivals", "winback", "seasonal_sale"]

_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "è": "e", "ë": "e",
                        "ï": "i", "å": "a", "Å": "a", "Ä": "ae", "Ö": "oe", "Ü": "ue", "É": "e"})


def slug(name: str) -> str:
    """Lower-case ASCII form of a name for email addresses (``Müller`` -> ``mueller``)."""
    return name.translate(_ASCII).lower().replace(" ", "").replace("'", "")
