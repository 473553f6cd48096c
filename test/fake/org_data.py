"""Static vocabularies the fake org is generated from (names, groups, sites).

Kept apart from org.py so the generation logic stays readable; nothing here
depends on the seed.
"""

FIRST_NAMES = (
    "Aarav", "Abigail", "Adebayo", "Aiko", "Alejandro", "Alice", "Amara", "Ana", "Andrei", "Anika",
    "Arjun", "Astrid", "Ben", "Bianca", "Carlos", "Chen", "Chloe", "Dae-jung", "Daniel", "Dmitri",
    "Elena", "Emeka", "Emma", "Erik", "Fatima", "Felix", "Freya", "Gabriel", "Grace", "Hana",
    "Hassan", "Helga", "Ines", "Isaac", "Ivan", "Jamal", "Jana", "Javier", "Jin", "Joao",
    "Julia", "Kai", "Kamala", "Karin", "Kenji", "Keira", "Lars", "Leila", "Liam", "Lucia",
    "Magnus", "Maria", "Mateo", "Mei", "Mia", "Mohammed", "Nadia", "Naveen", "Nia", "Noah",
    "Olga", "Omar", "Oscar", "Paula", "Pedro", "Priya", "Rafael", "Rania", "Ravi", "Rosa",
    "Ruth", "Sakura", "Samuel", "Sara", "Sean", "Sergei", "Siobhan", "Sofia", "Sven", "Tariq",
    "Thandiwe", "Theo", "Tomasz", "Uma", "Valentina", "Victor", "Wei", "Wen", "Xavier", "Yara",
    "Yusuf", "Zainab", "Zara", "Zoe", "Agnieszka", "Bjorn", "Chiara", "Diego", "Eitan", "Farah",
)

LAST_NAMES = (
    "Abe", "Adeyemi", "Alvarez", "Andersson", "Bauer", "Becker", "Bianchi", "Brown", "Castro", "Chen",
    "Cohen", "Costa", "Dang", "Davies", "Dubois", "Eze", "Fernandes", "Fischer", "Garcia", "Gomez",
    "Gupta", "Haddad", "Hansen", "Hoang", "Hughes", "Ibrahim", "Ivanova", "Jansen", "Jensen", "Johnson",
    "Kaur", "Khan", "Kim", "Kowalski", "Krystof", "Kumar", "Larsen", "Lee", "Lopez", "Martin",
    "Meyer", "Moreau", "Morris", "Mueller", "Murphy", "Nakamura", "Ng", "Nguyen", "Novak", "Obi",
    "Okafor", "Olsen", "Ortiz", "Park", "Patel", "Pereira", "Petrov", "Popescu", "Quinn", "Rahman",
    "Ramos", "Reyes", "Rossi", "Russo", "Saito", "Santos", "Schmidt", "Shah", "Silva", "Singh",
    "Smith", "Sokolova", "Suzuki", "Svensson", "Tanaka", "Taylor", "Thomas", "Tran", "Turner", "Usman",
    "Varga", "Vasquez", "Wagner", "Walsh", "Wang", "Weber", "Williams", "Wilson", "Wong", "Wu",
    "Xu", "Yamamoto", "Yang", "Yilmaz", "Young", "Zhang", "Zhou", "Zielinski", "O'Brien", "van Dijk",
)

MANAGED_DOMAINS = ("acme.example", "acme-labs.example")
UNMANAGED_DOMAINS = ("gmail.example", "outlook.example", "yahoo.example", "proton.example",
                     "contractor-co.example")

# (department, matching group name or None)
DEPARTMENTS = (
    ("Engineering", "engineering"), ("Product", "product"), ("Design", "design"),
    ("Marketing", "marketing"), ("Sales", "sales"), ("Customer Support", "customer-support"),
    ("Finance", "finance"), ("People Operations", "people-ops"), ("Legal", "legal"),
    ("Security", "security"), ("Data Platform", "data-platform"), ("IT", "it-helpdesk"),
)

JOB_TITLES = (
    "Software Engineer", "Senior Software Engineer", "Staff Engineer", "Engineering Manager",
    "Product Manager", "Product Designer", "UX Researcher", "Marketing Specialist",
    "Account Executive", "Support Engineer", "Financial Analyst", "HR Business Partner",
    "Counsel", "Security Engineer", "Data Engineer", "IT Administrator", "QA Engineer",
    "Technical Writer", "Director", "VP Engineering",
)

ORGANIZATIONS = ("Acme Corp", "Acme Labs", "Acme GmbH")

LOCATIONS = (
    ("New York", "America/New_York"), ("San Francisco", "America/Los_Angeles"),
    ("Austin", "America/Chicago"), ("Toronto", "America/Toronto"),
    ("Sao Paulo", "America/Sao_Paulo"), ("London", "Europe/London"),
    ("Berlin", "Europe/Berlin"), ("Amsterdam", "Europe/Amsterdam"),
    ("Warsaw", "Europe/Warsaw"), ("Lagos", "Africa/Lagos"),
    ("Bengaluru", "Asia/Kolkata"), ("Singapore", "Asia/Singapore"),
    ("Tokyo", "Asia/Tokyo"), ("Sydney", "Australia/Sydney"),
    ("Auckland", "Pacific/Auckland"),
)

# Products and the kind of site they live on (ARI resource owner).
PRODUCTS = (
    ("jira-software", "jira"), ("confluence", "confluence"),
    ("jira-servicedesk", "jira"), ("jira-core", "jira"),
)
SITE_NAMES = {"jira": ("acme", "acme-labs"), "confluence": ("acme", "acme-labs")}

# 25 groups: (name, description or None).  Index positions are used by
# org.py's membership rules, so append only.
GROUPS = (
    ("site-admins", "Grants access to all applications, their administration features and "
                    "Atlassian Administration"),
    ("jira-software-users", "Grants access to Jira Software"),
    ("jira-admins", None),
    ("confluence-users", "Grants access to Confluence"),
    ("confluence-admins", None),
    ("jira-servicemanagement-users", "Grants access to Jira Service Management"),
    ("jira-core-users", None),
    ("acme-all-staff", "Everyone employed by Acme"),
    ("engineering", None),
    ("product", None),
    ("design", None),
    ("marketing", None),
    ("sales", None),
    ("customer-support", None),
    ("finance", "Finance team"),
    ("people-ops", None),
    ("legal", None),
    ("security", "Security team, incident responders"),
    ("data-platform", None),
    ("contractors", "External contractors: review quarterly"),
    ("interns", None),
    ("managers", None),
    ("it-helpdesk", None),
    ("release-managers", None),
    ("offboarding", "Accounts being offboarded"),
)
GROUP_INDEX = {name: i for i, (name, _) in enumerate(GROUPS)}
PRODUCT_GROUP = {"jira-software": "jira-software-users", "confluence": "confluence-users",
                 "jira-servicedesk": "jira-servicemanagement-users", "jira-core": "jira-core-users"}
