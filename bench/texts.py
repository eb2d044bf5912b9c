"""What the generated helpdesk says: subjects, customer messages, replies, notes and chats in Czech,
Hungarian and English, by topic, with {slots} the generator fills (order and invoice numbers,
products, amounts…), so threads read like a real mailbox and the index sees a realistic vocabulary.

The search scenarios look for words placed here on purpose: a common Czech word (in most billing
mail), a rare Hungarian word (one sentence, seldom used) and a three-word Czech phrase."""

from __future__ import annotations

from dataclasses import dataclass

TOPICS = ("support", "technical", "billing", "sales", "returns")

# The words the search scenarios type (bench/scenarios.py).
COMMON_CZECH_WORD = "faktura"
RARE_HUNGARIAN_WORD = "hőszivattyú"
THREE_WORD_QUERY = "reset hesla nefunguje"
# The one sentence that carries the rare word, and how often a Hungarian customer message has it.
RARE_SENTENCE_HU = "A hőszivattyú kompresszora hangosan zörög, és a kültéri egység télen lefagy."
RARE_RATE = 0.003

PRODUCTS = (
    "Nova X2",
    "Orbit 300",
    "Lumen S",
    "Kappa Pro",
    "Atlas 12",
    "Delta 55",
    "Sigma R7",
    "Vega Mini",
    "Helix 9",
    "Terra Box",
)
CITIES = ("Praha", "Brno", "Ostrava", "Plzeň", "Budapest", "Debrecen", "Győr", "London", "Leeds", "Bristol")
PHONES = ("Samsung Galaxy A54", "iPhone 13", "Pixel 7", "Xiaomi Redmi Note 12", "Motorola G84")
ERROR_CODES = ("500", "502", "503", "429", "401", "E-1042", "E-2210", "TIMEOUT")
TAGS = (
    "faktura",
    "vip",
    "urgent",
    "reklamace",
    "doprava",
    "api",
    "mobilní aplikace",
    "tiskárna",
    "heslo",
    "nabídka",
    "sleva",
    "refund",
    "bug",
    "feature request",
    "duplicita",
    "eskalace",
    "partner",
    "b2b",
    "b2c",
    "záruka",
    "számla",
    "szállítás",
    "garancia",
    "hardware",
    "software",
    "integrace",
    "export",
    "newsletter",
    "gdpr",
    "onboarding",
)


@dataclass(frozen=True)
class Language:
    greetings: tuple[str, ...]
    closings: tuple[str, ...]
    subjects: dict[str, tuple[str, ...]]
    customer: dict[str, tuple[str, ...]]
    general: tuple[str, ...]
    reply_openers: tuple[str, ...]
    replies: dict[str, tuple[str, ...]]
    signature: str
    notes: tuple[str, ...]
    chat_agent: tuple[str, ...]
    calls: tuple[str, ...]
    form_fields: tuple[str, str, str]
    months: tuple[str, ...]


CS = Language(
    greetings=("Dobrý den,", "Dobrý den, vážení,", "Zdravím,", "Dobrý den, prosím o pomoc."),
    closings=("Děkuji za rychlou odpověď.", "Předem děkuji.", "Děkuji a přeji hezký den.", "S pozdravem"),
    subjects={
        "support": (
            "Nefunguje přihlášení",
            "Reset hesla",
            "Tiskárna netiskne",
            "Aplikace padá",
            "Změna e-mailu v profilu",
            "Nechodí oznámení",
        ),
        "technical": (
            "Chyba API {code}",
            "Synchronizace skladu",
            "Export do účetnictví",
            "Vypršel certifikát",
            "Duplicitní webhooky",
            "Záloha se nedokončila",
        ),
        "billing": (
            "Chyba na faktuře {inv}",
            "Nepřišla faktura",
            "Dvojí platba",
            "Dobropis k faktuře {inv}",
            "Dotaz k fakturaci",
        ),
        "sales": (
            "Poptávka {product}",
            "Cenová nabídka",
            "Množstevní sleva",
            "Dostupnost zboží",
            "Předvedení produktu",
        ),
        "returns": (
            "Reklamace {product}",
            "Nedoručená objednávka {order}",
            "Poškozené zboží",
            "Vrácení peněz",
            "Chybějící položka v balíku",
        ),
    },
    customer={
        "support": (
            "Reset hesla mi nefunguje, odkaz v e-mailu je prý neplatný.",
            "Nemohu se přihlásit do zákaznického účtu, aplikace hlásí neznámou chybu.",
            "Tiskárna {product} po poslední aktualizaci netiskne a bliká oranžová kontrolka.",
            "Aplikace v mobilu po spuštění spadne, mám telefon {phone}.",
            "Jak si mohu změnit e-mailovou adresu v profilu?",
            "Od včerejška nám nechodí žádná oznámení o nových objednávkách.",
            "Zkoušeli jsme zařízení restartovat, ale problém přetrvává.",
            "Prosím o radu, jak nastavit dvoufázové ověření pro celý tým.",
            "Kolegyně nevidí v aplikaci sdílené dokumenty, já ano.",
        ),
        "technical": (
            "Při volání API dostáváme chybu {code} a odpověď trvá přes třicet sekund.",
            "Synchronizace skladu s e-shopem se zastavila u objednávky {order}.",
            "Server hlásí nedostatek místa na disku a noční záloha se nedokončila.",
            "Po aktualizaci na verzi {version} nefunguje export do účetnictví.",
            "Certifikát na doméně vypršel a prohlížeč hlásí nezabezpečené připojení.",
            "Webhook nám posílá stejnou událost několikrát za sebou.",
            "V logu vidím opakované chyby připojení k databázi.",
            "Import zákazníků z CSV skončí chybou na řádku {qty}.",
        ),
        "billing": (
            "V příloze posílám fakturu č. {inv}, která podle mě obsahuje chybnou částku.",
            "Faktura za {month} mi vůbec nepřišla, můžete ji prosím poslat znovu?",
            "Platbu jsme odeslali {date}, ale faktura stále svítí jako neuhrazená.",
            "Potřebovali bychom opravit fakturační adresu a IČO na faktuře {inv}.",
            "Proč mi byla platba stržena dvakrát? Na výpisu vidím dvě částky {amount} Kč.",
            "Prosím o zaslání dobropisu k faktuře {inv}.",
            "Co znamená položka servisní poplatek na poslední faktuře?",
            "Chtěl bych přejít z měsíční na roční platbu, jak mám postupovat?",
            "Účetní potřebuje fakturu v PDF i ve formátu ISDOC.",
        ),
        "sales": (
            "Mohli byste nám připravit cenovou nabídku na {qty} kusů {product}?",
            "Zajímá nás množstevní sleva při odběru nad {qty} kusů.",
            "Máte {product} skladem? Potřebovali bychom ho dodat do konce měsíce.",
            "Jaké jsou platební podmínky pro firemní zákazníky?",
            "Prosím o zaslání katalogu a aktuálního ceníku.",
            "Chtěli bychom si domluvit předvedení produktu u nás ve firmě v {city}.",
            "Nabízíte také servisní smlouvu a prodlouženou záruku?",
        ),
        "returns": (
            "Objednávka {order} nedorazila včas a kurýr nebere telefon.",
            "Zboží přišlo poškozené, krabice byla promáčknutá a displej je prasklý.",
            "Chci uplatnit reklamaci na {product}, po dvou měsících přestal fungovat.",
            "V balíku chyběla jedna položka z objednávky {order}.",
            "Jak dlouho trvá vrácení peněz po odstoupení od smlouvy?",
            "Posílám fotografie vady a prosím o posouzení reklamace.",
            "Zásilka se podle sledování vrátila zpět do skladu v {city}.",
        ),
    },
    general=(
        "Jde o poměrně naléhavou věc, protože nám to blokuje práci.",
        "Číslo zákazníka je {qty}, objednávka {order}.",
        "Volal jsem i na linku podpory, ale nikdo to nezvedal.",
        "Stejný problém jsme řešili už minulý měsíc.",
        "Budu rád za jakoukoli radu.",
        "Pokud potřebujete další informace, dejte prosím vědět.",
    ),
    reply_openers=("Dobrý den, děkujeme za zprávu.", "Dobrý den,", "Dobrý den, omlouváme se za zpoždění."),
    replies={
        "support": (
            "Prosím zkuste vymazat mezipaměť prohlížeče a přihlásit se znovu.",
            "Poslali jsme vám nový odkaz pro reset hesla, platí 24 hodin.",
            "Aktualizace ovladače tiskárny problém obvykle vyřeší, návod je v příloze.",
            "Oznámení jsme znovu zapnuli, měla by chodit do několika minut.",
        ),
        "technical": (
            "Problém jsme předali technickému oddělení, ozveme se nejpozději zítra.",
            "Chybu jsme opravili ve verzi {version}, prosím o aktualizaci.",
            "Synchronizaci jsme spustili znovu a objednávka {order} už je ve skladu.",
            "Webhooky nyní posíláme s identifikátorem události, duplicity lze odfiltrovat.",
        ),
        "billing": (
            "Fakturu jsme opravili a novou verzi posíláme v příloze.",
            "Platbu jsme dohledali a spárovali s fakturou {inv}.",
            "Dobropis na částku {amount} Kč vám přijde e-mailem do dvou dnů.",
            "Fakturační údaje jsme upravili, platí od příští faktury.",
        ),
        "sales": (
            "Cenovou nabídku najdete v příloze, platí do konce měsíce.",
            "Při odběru nad {qty} kusů vám můžeme nabídnout slevu 8 %.",
            "Zboží máme skladem a můžeme ho odeslat ještě tento týden.",
            "Předvedení v {city} můžeme domluvit na příští týden.",
        ),
        "returns": (
            "Reklamaci jsme přijali pod číslem {rma}, o výsledku vás budeme informovat do 30 dnů.",
            "Zásilku jsme u dopravce urgovali, měla by dorazit do dvou pracovních dnů.",
            "Chybějící položku jsme odeslali zvlášť, číslo zásilky je {order}.",
            "Peníze vám vrátíme na účet do 14 dnů od převzetí zboží.",
        ),
    },
    signature="S pozdravem\n{agent}\nzákaznická podpora",
    notes=(
        "Zákazník volal, chce odpověď do pátku.",
        "Duplicita k předchozímu tiketu, sloučit.",
        "Čekáme na vyjádření dodavatele.",
        "Ověřeno ve skladu, zboží bylo odesláno {date}.",
        "Pozor, jde o klíčového zákazníka.",
    ),
    chat_agent=(
        "Dobrý den, jak vám mohu pomoci?",
        "Rozumím, podívám se na to.",
        "Můžete mi prosím poslat číslo objednávky?",
        "Děkuji, už to vidím v systému.",
        "Je ještě něco, s čím mohu pomoci?",
    ),
    calls=(
        "Zákazník volal kvůli objednávce {order}, domluveno zaslání podrobností e-mailem.",
        "Telefonát: problém s přihlášením vyřešen resetem hesla.",
        "Hovor: dotaz na cenu {product}, pošleme nabídku.",
    ),
    form_fields=("Jméno", "Číslo objednávky", "Popis problému"),
    months=("leden", "únor", "březen", "duben", "květen", "červen", "červenec", "srpen", "září", "říjen"),
)

HU = Language(
    greetings=("Jó napot!", "Tisztelt Ügyfélszolgálat!", "Kedves Ügyfélszolgálat!", "Üdvözlöm!"),
    closings=("Köszönöm a gyors választ.", "Előre is köszönöm.", "Köszönettel:", "Üdvözlettel:"),
    subjects={
        "support": (
            "Nem tudok belépni",
            "Jelszó visszaállítása",
            "Nem nyomtat a nyomtató",
            "Összeomlik az alkalmazás",
            "E-mail-cím módosítása",
            "Nem érkeznek értesítések",
        ),
        "technical": (
            "API hiba {code}",
            "Raktárszinkronizálás",
            "Könyvelési export",
            "Lejárt tanúsítvány",
            "Ismétlődő webhookok",
            "Sikertelen mentés",
        ),
        "billing": (
            "Hibás számla {inv}",
            "Nem érkezett meg a számla",
            "Kettős terhelés",
            "Jóváíró számla {inv}",
            "Számlázási kérdés",
        ),
        "sales": (
            "Ajánlatkérés {product}",
            "Árajánlat",
            "Mennyiségi kedvezmény",
            "Termék elérhetősége",
            "Termékbemutató",
        ),
        "returns": (
            "Reklamáció {product}",
            "Nem érkezett meg a rendelés {order}",
            "Sérült termék",
            "Pénz visszatérítése",
            "Hiányzó tétel a csomagban",
        ),
    },
    customer={
        "support": (
            "Nem működik a jelszó visszaállítása, az e-mailben kapott link érvénytelen.",
            "Nem tudok belépni az ügyfélfiókomba, az alkalmazás ismeretlen hibát jelez.",
            "A(z) {product} nyomtató a legutóbbi frissítés óta nem nyomtat, és narancssárgán villog.",
            "A mobilalkalmazás indítás után összeomlik, {phone} telefonom van.",
            "Hogyan módosíthatom az e-mail-címemet a profilban?",
            "Tegnap óta nem kapunk értesítéseket az új rendelésekről.",
            "Újraindítottuk az eszközt, de a probléma továbbra is fennáll.",
            "Hogyan kapcsolhatom be a kétlépcsős azonosítást az egész csapatnak?",
        ),
        "technical": (
            "Az API hívásakor {code} hibát kapunk, és a válasz több mint harminc másodpercig tart.",
            "A raktár és a webáruház szinkronizálása leállt a(z) {order} rendelésnél.",
            "A szerveren elfogyott a hely, és az éjszakai mentés nem fejeződött be.",
            "A(z) {version} verzióra frissítés után nem működik a könyvelési export.",
            "Lejárt a tanúsítvány a domainen, és a böngésző nem biztonságos kapcsolatot jelez.",
            "A webhook többször egymás után ugyanazt az eseményt küldi.",
            "A naplóban ismétlődő adatbázis-kapcsolódási hibákat látok.",
        ),
        "billing": (
            "Mellékelten küldöm a(z) {inv} számú számlát, amelyen szerintem hibás az összeg.",
            "A(z) {month} havi számla nem érkezett meg, kérem, küldjék el újra.",
            "Az átutalást {date} elküldtük, de a rendszer még mindig kifizetetlennek mutatja.",
            "Kérjük, javítsák a számlázási címet és az adószámot a(z) {inv} számlán.",
            "Miért vonták le kétszer a díjat? A kivonaton két {amount} Ft összegű tétel szerepel.",
            "Kérek jóváíró számlát a(z) {inv} számlához.",
            "Szeretnék havi fizetésről éves fizetésre váltani, hogyan tehetem meg?",
        ),
        "sales": (
            "Tudnának árajánlatot készíteni {qty} darab {product} termékre?",
            "Érdekelne a mennyiségi kedvezmény {qty} darab feletti rendelés esetén.",
            "Van raktáron {product}? A hónap végéig szükségünk lenne rá.",
            "Milyen fizetési feltételek vonatkoznak a céges ügyfelekre?",
            "Kérem, küldjék el a katalógust és az aktuális árlistát.",
            "Szeretnénk egy termékbemutatót egyeztetni {city} városban.",
        ),
        "returns": (
            "A(z) {order} rendelés nem érkezett meg időben, és a futár nem veszi fel a telefont.",
            "A termék sérülten érkezett, a doboz be volt nyomódva és a kijelző megrepedt.",
            "Reklamációt szeretnék benyújtani a(z) {product} termékre, két hónap után elromlott.",
            "A csomagból hiányzott egy tétel a(z) {order} rendelésből.",
            "Mennyi idő alatt kapom vissza a pénzt elállás esetén?",
            "Mellékelem a hibáról készült fényképeket.",
        ),
    },
    general=(
        "Sürgős lenne, mert emiatt áll a munka.",
        "Az ügyfélszámom {qty}, a rendelésszám {order}.",
        "Telefonon is próbáltam elérni önöket, de senki nem vette fel.",
        "Ugyanezt a problémát már a múlt hónapban is jeleztük.",
        "Ha további adatra van szükség, kérem, jelezzék.",
    ),
    reply_openers=(
        "Jó napot! Köszönjük megkeresését.",
        "Tisztelt Ügyfelünk!",
        "Jó napot! Elnézést a késésért.",
    ),
    replies={
        "support": (
            "Kérjük, törölje a böngésző gyorsítótárát, és jelentkezzen be újra.",
            "Új jelszó-visszaállító linket küldtünk, 24 óráig érvényes.",
            "A nyomtató illesztőprogramjának frissítése általában megoldja a hibát.",
            "Az értesítéseket újra bekapcsoltuk, néhány percen belül megérkeznek.",
        ),
        "technical": (
            "A problémát továbbítottuk a műszaki osztálynak, legkésőbb holnap jelentkezünk.",
            "A hibát a(z) {version} verzióban javítottuk, kérjük, frissítsen.",
            "A szinkronizálást újraindítottuk, a(z) {order} rendelés már a raktárban van.",
        ),
        "billing": (
            "A számlát javítottuk, az új változatot mellékelten küldjük.",
            "Az átutalást megtaláltuk és párosítottuk a(z) {inv} számlával.",
            "A(z) {amount} Ft összegű jóváíró számlát két napon belül e-mailben küldjük.",
        ),
        "sales": (
            "Az árajánlatot mellékelten küldjük, a hónap végéig érvényes.",
            "{qty} darab feletti rendelés esetén 8 % kedvezményt tudunk adni.",
            "A termék raktáron van, még ezen a héten feladjuk.",
        ),
        "returns": (
            "A reklamációt {rma} számon rögzítettük, az eredményről 30 napon belül értesítjük.",
            "A szállítót sürgettük, a csomag két munkanapon belül megérkezik.",
            "A pénzt az áru átvételétől számított 14 napon belül visszautaljuk.",
        ),
    },
    signature="Üdvözlettel:\n{agent}\nügyfélszolgálat",
    notes=(
        "Az ügyfél telefonált, péntekig választ vár.",
        "Duplikált jegy, össze kell vonni.",
        "A beszállító válaszára várunk.",
        "Kiemelt ügyfél, kérem, sürgősen kezeljük.",
    ),
    chat_agent=(
        "Jó napot! Miben segíthetek?",
        "Értem, utánanézek.",
        "Megadná a rendelésszámot?",
        "Köszönöm, már látom a rendszerben.",
        "Segíthetek még valamiben?",
    ),
    calls=(
        "Az ügyfél a(z) {order} rendelés miatt telefonált, e-mailben küldjük a részleteket.",
        "Hívás: a belépési problémát jelszó-visszaállítással megoldottuk.",
    ),
    form_fields=("Név", "Rendelésszám", "A probléma leírása"),
    months=("január", "február", "március", "április", "május", "június", "július", "augusztus"),
)

EN = Language(
    greetings=("Hello,", "Hi there,", "Dear support team,", "Good morning,"),
    closings=("Thanks for a quick reply.", "Thanks in advance.", "Kind regards,", "Best wishes,"),
    subjects={
        "support": (
            "Cannot log in",
            "Password reset",
            "Printer not printing",
            "App crashes on start",
            "Change of email address",
            "No notifications",
        ),
        "technical": (
            "API error {code}",
            "Stock sync stopped",
            "Accounting export broken",
            "Certificate expired",
            "Duplicate webhooks",
            "Backup failed",
        ),
        "billing": (
            "Wrong amount on invoice {inv}",
            "Invoice missing",
            "Charged twice",
            "Credit note for {inv}",
            "Billing question",
        ),
        "sales": (
            "Quote for {product}",
            "Price quote",
            "Volume discount",
            "Product availability",
            "Demo request",
        ),
        "returns": (
            "Return of {product}",
            "Order {order} not delivered",
            "Damaged goods",
            "Refund",
            "Item missing from parcel",
        ),
    },
    customer={
        "support": (
            "The password reset does not work, the link in the email says it is invalid.",
            "I cannot log in to my customer account, the app shows an unknown error.",
            "Since the last update the {product} printer does not print and the orange light blinks.",
            "The mobile app crashes right after starting, I have a {phone}.",
            "How can I change the email address in my profile?",
            "Since yesterday we get no notifications about new orders.",
            "We restarted the device but the problem persists.",
        ),
        "technical": (
            "Calling the API we get error {code} and the response takes over thirty seconds.",
            "The stock synchronisation with the web shop stopped at order {order}.",
            "The server is out of disk space and the nightly backup did not finish.",
            "After updating to version {version} the accounting export stopped working.",
            "The certificate on our domain expired and browsers warn about an insecure connection.",
            "The webhook sends us the same event several times in a row.",
        ),
        "billing": (
            "Attached is invoice {inv}, which I believe has the wrong amount.",
            "The invoice for {month} never arrived, could you send it again?",
            "We sent the payment on {date} but the invoice still shows as unpaid.",
            "Please correct the billing address and VAT number on invoice {inv}.",
            "Why was I charged twice? My statement shows two payments of {amount} GBP.",
            "Please send a credit note for invoice {inv}.",
        ),
        "sales": (
            "Could you prepare a quote for {qty} units of {product}?",
            "We are interested in a volume discount for orders over {qty} units.",
            "Do you have {product} in stock? We would need it delivered by the end of the month.",
            "What are the payment terms for business customers?",
            "We would like to arrange a product demo at our office in {city}.",
        ),
        "returns": (
            "Order {order} did not arrive on time and the courier does not answer the phone.",
            "The goods arrived damaged, the box was dented and the display is cracked.",
            "I would like to return the {product}, it stopped working after two months.",
            "One item from order {order} was missing from the parcel.",
            "How long does a refund take after a return?",
        ),
    },
    general=(
        "This is rather urgent as it blocks our work.",
        "Our customer number is {qty}, order {order}.",
        "I tried calling your hotline but nobody picked up.",
        "We had the same problem last month.",
        "Let me know if you need any more details.",
    ),
    reply_openers=("Hello, thank you for your message.", "Hi,", "Hello, sorry for the delay."),
    replies={
        "support": (
            "Please clear your browser cache and log in again.",
            "We have sent you a new password reset link, valid for 24 hours.",
            "Updating the printer driver usually fixes this, instructions attached.",
        ),
        "technical": (
            "We have passed the problem to our engineers and will get back to you by tomorrow.",
            "The bug is fixed in version {version}, please update.",
            "We restarted the synchronisation and order {order} is now in stock.",
        ),
        "billing": (
            "We have corrected the invoice and attached the new version.",
            "We found your payment and matched it to invoice {inv}.",
            "A credit note for {amount} GBP will reach you by email within two days.",
        ),
        "sales": (
            "Please find the quote attached, it is valid until the end of the month.",
            "For orders over {qty} units we can offer an 8 % discount.",
            "The product is in stock and can ship this week.",
        ),
        "returns": (
            "We registered your return under {rma} and will let you know the outcome within 30 days.",
            "We chased the courier, the parcel should arrive within two working days.",
            "The refund will reach your account within 14 days of us receiving the goods.",
        ),
    },
    signature="Kind regards,\n{agent}\nCustomer support",
    notes=(
        "Customer called, wants an answer by Friday.",
        "Duplicate of an earlier ticket, to merge.",
        "Waiting for the supplier.",
        "Key account, handle with priority.",
        "Refund approved by finance.",
    ),
    chat_agent=(
        "Hello, how can I help?",
        "I see, let me check.",
        "Could you send me the order number please?",
        "Thanks, I can see it now.",
        "Is there anything else I can help with?",
    ),
    calls=(
        "Customer called about order {order}, details to follow by email.",
        "Call: login problem solved with a password reset.",
    ),
    form_fields=("Name", "Order number", "Describe the problem"),
    months=("January", "February", "March", "April", "May", "June", "July", "August"),
)

LANGUAGE_TEXTS = {"cs": CS, "hu": HU, "en": EN}

# People: (first names, last names) per language and gender; Hungarian names are written family
# name first. Czech surnames take the feminine form by rule.
CS_MEN = (
    ("Jan", "Petr", "Tomáš", "Martin", "Jiří", "Pavel", "Ondřej", "Lukáš", "Jakub", "Václav", "Radek"),
    ("Novák", "Svoboda", "Dvořák", "Černý", "Procházka", "Kučera", "Veselý", "Horák", "Němec", "Pokorný"),
)
CS_WOMEN = (
    ("Jana", "Lucie", "Tereza", "Markéta", "Kateřina", "Hana", "Zuzana", "Eva", "Petra", "Veronika"),
    (
        "Nováková",
        "Svobodová",
        "Dvořáková",
        "Černá",
        "Procházková",
        "Kučerová",
        "Veselá",
        "Horáková",
        "Němcová",
        "Pokorná",
    ),
)
HU_FIRST = (
    "Anna",
    "Gábor",
    "Eszter",
    "László",
    "Réka",
    "Bence",
    "Zoltán",
    "Ildikó",
    "Dániel",
    "Noémi",
    "Ádám",
)
HU_LAST = (
    "Kovács",
    "Szabó",
    "Horváth",
    "Varga",
    "Kiss",
    "Molnár",
    "Farkas",
    "Balogh",
    "Papp",
    "Takács",
    "Tóth",
)
EN_FIRST = ("Oliver", "Amelia", "Harry", "Sophie", "Jack", "Grace", "George", "Emily", "Thomas", "Isla")
EN_LAST = ("Bennett", "Hughes", "Wilson", "Turner", "Robinson", "Evans", "Clarke", "Wright", "Walker", "Hall")
COMPANY_WORDS = {
    "cs": (("Pekárna", "Strojírna", "Autoservis", "Stavby", "Tiskárna", "Lékárna"), ("s.r.o.", "a.s.")),
    "hu": (("Duna", "Balaton", "Tisza", "Mátra", "Bakony", "Hortobágy"), ("Kft.", "Zrt.", "Bt.")),
    "en": (("Northwind", "Riverside", "Oakfield", "Bluebell", "Kingsway", "Harbour"), ("Ltd", "plc")),
}
