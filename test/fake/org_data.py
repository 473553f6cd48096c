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

# ---- v1 vocabularies ---------------------------------------------------------
# The v1 APIs (managed accounts, last-active dates) use their own product
# keys ("jira-service-desk", not v2's "jira-servicedesk") and display names.
V1_PRODUCTS = {"jira-software": ("jira-software", "Jira Software"),
               "confluence": ("confluence", "Confluence"),
               "jira-servicedesk": ("jira-service-desk", "Jira Service Management"),
               "jira-core": ("jira-core", "Jira Work Management")}

# (domain, claim type, claim status): the two managed domains plus one whose
# verification never finished.
DOMAINS = (("acme.example", "dns", "verified"), ("acme-labs.example", "http", "verified"),
           ("acme-legacy.example", "dns", "unverified"))

# ---- groups: management and role grants --------------------------------------
# Synced from the identity provider: externalSynced, managedBy "external",
# neither modifiable nor deletable.
SYNCED_GROUPS = frozenset(("engineering", "security", "data-platform"))
# Product access groups carry a default-role attribute and cannot be deleted.
DEFAULT_GROUPS = frozenset(("site-admins", "jira-software-users", "jira-admins",
                            "confluence-users", "confluence-admins",
                            "jira-servicemanagement-users", "jira-core-users"))
# Roles a group grants: (site kind, site number, product key, role).  Product
# groups grant access on site A only, so access to site B is always a direct
# grant in users' role assignments.  Members hold what their groups grant
# (access.py): org.py puts users in these groups accordingly.
_ADMIN_A = (("jira", 0, "jira-software", "atlassian/admin"),
            ("jira", 0, "jira-servicedesk", "atlassian/admin"),
            ("jira", 0, "jira-core", "atlassian/admin"))
GROUP_GRANTS = {
    "jira-software-users": (("jira", 0, "jira-software", "atlassian/user"),),
    "jira-servicemanagement-users": (("jira", 0, "jira-servicedesk", "atlassian/user"),),
    "jira-core-users": (("jira", 0, "jira-core", "atlassian/user"),),
    "confluence-users": (("confluence", 0, "confluence", "atlassian/user"),),
    "jira-admins": _ADMIN_A,
    "confluence-admins": (("confluence", 0, "confluence", "atlassian/admin"),),
    "site-admins": _ADMIN_A + (("confluence", 0, "confluence", "atlassian/admin"),),
}

# ---- Jira: app accounts (not in the org directory, listed by Jira) ----------
APP_ACCOUNTS = ("Automation for Jira", "Slack", "Microsoft Teams for Jira Cloud",
                "Atlassian Assist", "Jira Spreadsheets")

# ---- audit log ------------------------------------------------------------------
# (action id, display name, group display name, weight among seeded events).
# Display names follow Atlassian's audit log activities database; the action
# ids are not published there and are this fake's own.
EVENT_ACTIONS = (
    ("user_logged_in", "Logged in to account", "Atlassian accounts", 60),
    ("user_logged_out", "Logged out of account", "Atlassian accounts", 8),
    ("user_deactivated", "Deactivated account", "Atlassian accounts", 3),
    ("user_reactivated", "Reactivated account", "Atlassian accounts", 1),
    ("user_deletion_scheduled", "Scheduled deletion of account", "Atlassian accounts", 1),
    ("user_deletion_cancelled", "Canceled deletion of account", "Atlassian accounts", 1),
    ("user_email_changed", "Changed email address", "Atlassian accounts", 1),
    ("password_recovery_requested", "Requested password recovery link", "Atlassian accounts", 2),
    ("user_added_to_group", "Added user to group", "Group management", 8),
    ("user_removed_from_group", "Removed user from group", "Group management", 4),
    ("group_created", "Created group", "Group management", 1),
    ("product_access_granted", "Granted product access", "Product access", 6),
    ("product_access_revoked", "Revoked product access", "Product access", 2),
    ("api_key_created", "Created API key", "Organization settings", 1),
    ("domain_verified", "Verified domain", "Domains", 1),
    # Appended by write calls only (weight 0: the seeded history, drawn from
    # the weights above, is the same as before these existed).
    ("user_access_suspended", "Suspended user access", "User management", 0),
    ("user_access_restored", "Restored user access", "User management", 0),
    ("user_removed_from_directory", "Removed user from directory", "User management", 0),
    ("org_admin_role_granted", "Granted organization admin role", "Organization settings", 0),
    ("org_admin_role_revoked", "Revoked organization admin role", "Organization settings", 0),
    ("user_profile_updated", "Updated profile", "Atlassian accounts", 0),
    ("api_token_revoked", "Revoked API token", "Atlassian accounts", 0),
    ("user_removed_from_site", "Removed user from site", "Product access", 0),
)
# Lifecycle calls of the User management API and the events they append.
LIFECYCLE_EVENTS = {"disable": "user_deactivated", "enable": "user_reactivated",
                    "delete": "user_deletion_scheduled", "cancel-delete": "user_deletion_cancelled"}
EVENT_IPS = (("203.0.113.10", "United States", "New York", "New York"),
             ("198.51.100.23", "Germany", "Berlin", "Berlin"),
             ("192.0.2.77", "United Kingdom", "England", "London"),
             ("203.0.113.200", "Australia", "New South Wales", "Sydney"))
