"""The fixed part of the demo organisation: its catalogue, and the words people are made of.

Everything here is invented. Names are common French first and last names, combined at
random, so no combination designates a real person; organisations, streets and funding bodies
are made up; phone numbers come from the ranges ARCEP reserves for fiction.
"""

from __future__ import annotations

from dataclasses import dataclass

from gardien.domain.vocabulary import FundingType

# The e-learning platform's activities live under this reserved-domain IRI.
ACTIVITY_ROOT = "https://learning.example.org"
VERBS_ROOT = "http://adlnet.gov/expapi/verbs"


@dataclass(frozen=True, slots=True)
class Path:
    """A learning path of the catalogue, with its modules, length and list price."""

    code: str
    title: str
    hours: float
    price_cents: int
    modules: tuple[tuple[str, str], ...]


PATHS: tuple[Path, ...] = (
    Path(
        "FLE-A2",
        "Français langue étrangère — niveau A2",
        40,
        69_000,
        (
            ("M1", "Se présenter et échanger"),
            ("M2", "La vie quotidienne"),
            ("M3", "Raconter au passé"),
            ("M4", "Comprendre un document simple"),
            ("M5", "Évaluation finale A2"),
        ),
    ),
    Path(
        "FLE-B2",
        "Français langue étrangère — niveau B2, préparation au DELF",
        60,
        119_000,
        (
            ("M1", "Argumenter à l'oral"),
            ("M2", "Synthèse de documents"),
            ("M3", "Lexique du monde professionnel"),
            ("M4", "Examen blanc DELF B2"),
        ),
    ),
    Path(
        "FOS-PRO",
        "Français professionnel : écrits et réunions",
        21,
        59_000,
        (
            ("M1", "Le courriel professionnel"),
            ("M2", "Conduire une réunion"),
            ("M3", "Rédiger un compte rendu"),
            ("M4", "Téléphoner avec aisance"),
        ),
    ),
    Path(
        "BUR-TAB",
        "Tableur : des formules aux tableaux croisés",
        28,
        49_000,
        (
            ("M1", "Prise en main"),
            ("M2", "Formules et fonctions"),
            ("M3", "Graphiques"),
            ("M4", "Tableaux croisés dynamiques"),
            ("M5", "Entraînement à la certification"),
        ),
    ),
    Path(
        "BUR-TXT",
        "Traitement de texte et mise en page",
        14,
        29_000,
        (
            ("M1", "Styles et modèles"),
            ("M2", "Documents longs"),
            ("M3", "Publipostage"),
            ("M4", "Révision et travail à plusieurs"),
        ),
    ),
    Path(
        "MGT-EQP",
        "Manager une équipe au quotidien",
        35,
        149_000,
        (
            ("M1", "La posture du manager"),
            ("M2", "Fixer des objectifs"),
            ("M3", "Mener les entretiens individuels"),
            ("M4", "Désamorcer les tensions"),
            ("M5", "Plan d'action personnel"),
        ),
    ),
    Path(
        "MGT-PRJ",
        "Gestion de projet : les fondamentaux",
        21,
        99_000,
        (
            ("M1", "Cadrer un projet"),
            ("M2", "Planifier"),
            ("M3", "Piloter les risques"),
            ("M4", "Clôturer et capitaliser"),
        ),
    ),
    Path(
        "PED-NUM",
        "Enseigner avec le numérique",
        18,
        39_000,
        (
            ("M1", "La classe inversée"),
            ("M2", "Évaluer en ligne"),
            ("M3", "Ressources libres et droit d'auteur"),
            ("M4", "Accessibilité des supports"),
        ),
    ),
)

PATH_BY_CODE = {path.code: path for path in PATHS}

# Which paths each kind of sponsor buys: certifying paths for CPF, management for OPCOs, ...
PATHS_BY_FUNDING: dict[FundingType, tuple[str, ...]] = {
    FundingType.ONLINE_PAYMENT: ("FLE-A2", "FLE-B2", "FOS-PRO", "BUR-TAB", "BUR-TXT"),
    FundingType.CPF: ("FLE-B2", "BUR-TAB", "MGT-PRJ"),
    FundingType.OPCO: ("MGT-EQP", "MGT-PRJ", "BUR-TAB", "FOS-PRO"),
    FundingType.EMPLOYER_PLAN: ("MGT-EQP", "BUR-TAB", "BUR-TXT", "FOS-PRO", "FLE-A2"),
    FundingType.SCHOOL_PLAN: ("FLE-A2", "FLE-B2", "PED-NUM", "BUR-TXT"),
}

GIVEN_NAMES = (
    "Camille", "Léa", "Manon", "Chloé", "Inès", "Jade", "Louise", "Alice", "Emma", "Zoé",
    "Sarah", "Clara", "Lucie", "Anaïs", "Margaux", "Pauline", "Julie", "Élodie", "Nadia",
    "Yasmine", "Amina", "Fatou", "Mei", "Sofia", "Ana", "Hélène", "Agnès", "Maryse", "Odile",
    "Thomas", "Lucas", "Hugo", "Louis", "Nathan", "Théo", "Jules", "Arthur", "Gabriel",
    "Raphaël", "Maxime", "Antoine", "Julien", "Nicolas", "Mehdi", "Karim", "Yanis", "Moussa",
    "Diego", "Luca", "Tomás", "Bruno", "Gérard", "Alain", "Pascal", "Thierry", "Dominique",
    "Claude", "Sacha", "Alix", "Noa",
)  # fmt: skip

FAMILY_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert",
    "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau", "Blanc",
    "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
    "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
    "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier",
    "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Perez", "Marchand",
    "Dufour", "Blanchard", "Benali", "Diallo", "Traoré", "Haddad", "Kowalski", "Da Silva",
    "Le Gall", "Le Goff", "Ferreira",
)  # fmt: skip

# Companies are "<trade> <place> <legal form>", all made up.
TRADES = (
    "Transports", "Menuiserie", "Boulangeries", "Clinique", "Hôtellerie", "Cabinet",
    "Ateliers", "Imprimerie", "Pharmacies", "Garages", "Agence", "Coopérative",
    "Laboratoires", "Librairies", "Conserverie", "Jardineries",
)  # fmt: skip
PLACES = (
    "Valcourt", "des Tilleuls", "Montrivel", "du Val d'Aubre", "Hautecombe", "Belle Escale",
    "des Quatre Vents", "Rivedoux", "Fontfroide", "du Grand Pré", "Castelmaure", "Bois-Joli",
    "des Coteaux", "Port-Lavande", "Sainte-Aline", "Mirecourt-sur-Lys",
)  # fmt: skip
LEGAL_FORMS = ("SAS", "SARL", "SA", "SCOP")
SCHOOL_KINDS = ("Lycée", "Collège", "Institut", "École supérieure", "Université")

# Funding bodies of OPCO contracts: invented names, no real operator.
OPCO_NAMES = ("OPCO Équinoxe", "OPCO Boréal", "OPCO Terre et Métiers", "OPCO Cap Services")

CONTACT_ROLES = (
    "Responsable formation",
    "Ressources humaines",
    "Direction administrative et financière",
    "Assistanat de direction",
)
SCHOOL_ROLES = ("Direction adjointe", "Gestion et intendance", "Documentation")

# Real town names with invented street addresses.
TOWNS = (
    ("75011", "Paris"), ("69003", "Lyon"), ("59000", "Lille"), ("44000", "Nantes"),
    ("33000", "Bordeaux"), ("67000", "Strasbourg"), ("35000", "Rennes"),
    ("34000", "Montpellier"), ("21000", "Dijon"), ("63000", "Clermont-Ferrand"),
    ("37000", "Tours"), ("38000", "Grenoble"),
)  # fmt: skip
STREETS = (
    "rue des Tilleuls", "avenue des Acacias", "rue du Moulin", "impasse des Lilas",
    "place de la Fontaine", "allée des Cerisiers", "rue de l'Exemple", "chemin des Vignes",
)  # fmt: skip

CPF_BILLING_NAME = "Caisse des Dépôts — Mon Compte Formation"
CPF_BILLING_ADDRESS = "Facturation dématérialisée par la plateforme EDOF"

CONTACT_MESSAGES = (
    "Bonjour, pouvez-vous m'indiquer les modalités de financement par le CPF du parcours {path} ?",
    "Bonjour, nous souhaitons former plusieurs salariés au parcours {path}. "
    "Pourriez-vous nous adresser un devis ?",
    "Je n'arrive plus à me connecter à la plateforme depuis hier soir. Merci de votre aide.",
    "Proposez-vous des sessions du parcours {path} pour des élèves de lycée ?",
    "Quelles sont les dates de la prochaine session du parcours {path} ?",
    "Merci de m'envoyer une attestation de fin de formation pour le parcours {path}.",
)

# Consent proof for the newsletter: the wording shown next to the box, per notice version.
NOTICE_VERSIONS: tuple[tuple[str, str], ...] = (
    (
        "2018-05-25",
        "J'accepte de recevoir la lettre d'information par courriel. "
        "Je peux me désinscrire à tout moment grâce au lien présent dans chaque envoi.",
    ),
    (
        "2022-01-10",
        "Oui, je souhaite recevoir la lettre d'information (nouveautés, sessions, ressources). "
        "Je peux me désinscrire à tout moment par le lien figurant dans chaque courriel.",
    ),
    (
        "2025-03-01",
        "Je souhaite recevoir par courriel la lettre d'information. Mon adresse n'est utilisée "
        "qu'à cette fin ; je peux me désinscrire à tout moment par le lien de chaque envoi.",
    ),
)
CONSENT_SOURCES = ("site_footer_form", "contact_form_checkbox", "learner_portal")
