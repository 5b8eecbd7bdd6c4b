/**
 * The most common passwords of 8 characters or more (the shortest any project allows), from the
 * top of the public breach-corpus lists (RockYou, the NCSC's top 100,000), lowercased. A compact
 * built-in list: it catches what attackers try first without shipping megabytes. Compared
 * case-insensitively, so "Password1" is caught by "password1".
 */
const LIST = `
password password1 password12 password123 password1234 passw0rd p@ssw0rd p@ssword pa55word pass1234 pass12345
12345678 123456789 1234567890 0123456789 987654321 9876543210 11111111 00000000 22222222 55555555 66666666
77777777 88888888 99999999 12121212 11223344 12341234 12344321 123123123 123321123 112233445566 147258369
159753456 123456789a a123456789 1234567a abc12345 abcd1234 abcdefgh aaaaaaaa a1b2c3d4 1a2b3c4d
qwertyuiop qwerty12 qwerty123 qwerty1234 qwertyui qwerty123456 qwer1234 1234qwer q1w2e3r4 q1w2e3r4t5 1q2w3e4r
1q2w3e4r5t 1qaz2wsx zaq12wsx zaq1xsw2 1qazxsw2 xsw21qaz qazwsxedc qweasdzxc 123qweasd asdfghjkl asdfasdf
asdf1234 zxcvbnm1 zxcvbnm123 zxcv1234 iloveyou iloveyou1 iloveyou2 loveyou1 lovelove iloveu123
sunshine sunshine1 princess princess1 princesa football football1 football123 baseball baseball1 basketball
superman superman1 starwars starwars1 spiderman batman123 trustno1 whatever whatever1 welcome1 welcome123
letmein1 letmein123 admin123 admin1234 administrator changeme changeme123 secret123 monkey123 dragon123
shadow123 master123 michael1 jordan23 charlie1 freedom1 computer computer1 internet passport american
midnight michelle jennifer jessica1 ashley123 samantha maverick mercedes corvette liverpool chelsea1 arsenal1
butterfly chocolate cookie123 pokemon1 minecraft blink182 hello123 helloworld test1234 testing123 testtest
qwerty123! password! password1! passw0rd! welcome! summer2023 summer2024 summer2025 summer2026 winter2023
winter2024 winter2025 winter2026 spring2024 spring2025 autumn2024 autumn2025 january1 december1 football!
iloveyou! 12345678! 123456789! abc123456 abcabc123 a1234567 aa123456 asd12345 qq123456 zz123456 q1234567
00000000a 1111111111 0000000000 5201314520 woaini1314 monkey12 dragon12 master12 killer123 hunter123
soccer123 hockey123 jordan123 tigger123 flower123 purple123 ginger123 pepper123 buster123 matrix123
thomas123 daniel123 andrew123 robert123 joshua123 george123 harley123 yankees1 cowboys1 steelers eagles123
`;

export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(LIST.split(/\s+/).filter(Boolean));
