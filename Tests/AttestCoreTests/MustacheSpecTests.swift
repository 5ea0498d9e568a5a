import Foundation
import Testing
@testable import AttestCore

/// Cases of the official Mustache spec (github.com/mustache/spec, specs/interpolation.yml,
/// sections.yml, inverted.yml, comments.yml), written out for what attest implements. Left out:
/// the cases about HTML escaping (attest renders markdown and never HTML-escapes), partials,
/// delimiters and lambdas (not implemented), and numbers (the spec's numbers are given as text,
/// which is how attest passes every value).
struct SpecCase: Sendable, CustomTestStringConvertible {
    let name: String
    let data: MustacheValue
    let template: String
    let expected: String
    var testDescription: String { name }
    init(_ name: String, _ data: MustacheValue, _ template: String, _ expected: String) {
        self.name = name; self.data = data; self.template = template; self.expected = expected
    }
}

@Suite struct MustacheSpecTests {
    static let interpolationCases: [SpecCase] = [
        SpecCase("No Interpolation", [:], "Hello from {Mustache}!\n", "Hello from {Mustache}!\n"),
        SpecCase("Basic Interpolation", ["subject": "world"], "Hello, {{subject}}!\n", "Hello, world!\n"),
        SpecCase("Triple Mustache", ["forbidden": "& \" < >"], "These characters should not be HTML escaped: {{{forbidden}}}\n",
                 "These characters should not be HTML escaped: & \" < >\n"),
        SpecCase("Ampersand", ["forbidden": "& \" < >"], "These characters should not be HTML escaped: {{&forbidden}}\n",
                 "These characters should not be HTML escaped: & \" < >\n"),
        SpecCase("Basic Null Interpolation", ["cannot": .null], "I ({{cannot}}) be seen!", "I () be seen!"),
        SpecCase("Triple Mustache Null Interpolation", ["cannot": .null], "I ({{{cannot}}}) be seen!", "I () be seen!"),
        SpecCase("Ampersand Null Interpolation", ["cannot": .null], "I ({{&cannot}}) be seen!", "I () be seen!"),
        SpecCase("Basic Context Miss Interpolation", [:], "I ({{cannot}}) be seen!", "I () be seen!"),
        SpecCase("Triple Mustache Context Miss Interpolation", [:], "I ({{{cannot}}}) be seen!", "I () be seen!"),
        SpecCase("Ampersand Context Miss Interpolation", [:], "I ({{&cannot}}) be seen!", "I () be seen!"),
        SpecCase("Dotted Names - Basic Interpolation", ["person": ["name": "Joe"]],
                 "\"{{person.name}}\" == \"{{#person}}{{name}}{{/person}}\"", "\"Joe\" == \"Joe\""),
        SpecCase("Dotted Names - Triple Mustache Interpolation", ["person": ["name": "Joe"]],
                 "\"{{{person.name}}}\" == \"{{#person}}{{{name}}}{{/person}}\"", "\"Joe\" == \"Joe\""),
        SpecCase("Dotted Names - Ampersand Interpolation", ["person": ["name": "Joe"]],
                 "\"{{&person.name}}\" == \"{{#person}}{{&name}}{{/person}}\"", "\"Joe\" == \"Joe\""),
        SpecCase("Dotted Names - Arbitrary Depth", ["a": ["b": ["c": ["d": ["e": ["name": "Phil"]]]]]],
                 "\"{{a.b.c.d.e.name}}\" == \"Phil\"", "\"Phil\" == \"Phil\""),
        SpecCase("Dotted Names - Broken Chains", ["a": [:]], "\"{{a.b.c}}\" == \"\"", "\"\" == \"\""),
        SpecCase("Dotted Names - Broken Chain Resolution", ["a": ["b": [:]], "c": ["name": "Jim"]],
                 "\"{{a.b.c.name}}\" == \"\"", "\"\" == \"\""),
        SpecCase("Dotted Names - Initial Resolution",
                 ["a": ["b": ["c": ["d": ["e": ["name": "Phil"]]]]], "b": ["c": ["d": ["e": ["name": "Wrong"]]]]],
                 "\"{{#a}}{{b.c.d.e.name}}{{/a}}\" == \"Phil\"", "\"Phil\" == \"Phil\""),
        SpecCase("Dotted Names - Context Precedence", ["a": ["b": [:]], "b": ["c": "ERROR"]], "{{#a}}{{b.c}}{{/a}}", ""),
        SpecCase("Implicit Iterators - Basic Interpolation", "world", "Hello, {{.}}!\n", "Hello, world!\n"),
        SpecCase("Implicit Iterators - Triple Mustache", "& \" < >", "These characters should not be HTML escaped: {{{.}}}\n",
                 "These characters should not be HTML escaped: & \" < >\n"),
        SpecCase("Interpolation - Surrounding Whitespace", ["string": "---"], "| {{string}} |", "| --- |"),
        SpecCase("Triple Mustache - Surrounding Whitespace", ["string": "---"], "| {{{string}}} |", "| --- |"),
        SpecCase("Ampersand - Surrounding Whitespace", ["string": "---"], "| {{&string}} |", "| --- |"),
        SpecCase("Interpolation - Standalone", ["string": "---"], "  {{string}}\n", "  ---\n"),
        SpecCase("Triple Mustache - Standalone", ["string": "---"], "  {{{string}}}\n", "  ---\n"),
        SpecCase("Ampersand - Standalone", ["string": "---"], "  {{&string}}\n", "  ---\n"),
        SpecCase("Interpolation With Padding", ["string": "---"], "|{{ string }}|", "|---|"),
        SpecCase("Triple Mustache With Padding", ["string": "---"], "|{{{ string }}}|", "|---|"),
        SpecCase("Ampersand With Padding", ["string": "---"], "|{{& string }}|", "|---|"),
    ]

    static let sectionCases: [SpecCase] = [
        SpecCase("Truthy", ["boolean": true], "\"{{#boolean}}This should be rendered.{{/boolean}}\"", "\"This should be rendered.\""),
        SpecCase("Falsey", ["boolean": false], "\"{{#boolean}}This should not be rendered.{{/boolean}}\"", "\"\""),
        SpecCase("Null is falsey", ["null": .null], "\"{{#null}}This should not be rendered.{{/null}}\"", "\"\""),
        SpecCase("Context", ["context": ["name": "Joe"]], "\"{{#context}}Hi {{name}}.{{/context}}\"", "\"Hi Joe.\""),
        SpecCase("Parent contexts", ["a": "foo", "b": "wrong", "sec": ["b": "bar"], "c": ["d": "baz"]],
                 "\"{{#sec}}{{a}}, {{b}}, {{c.d}}{{/sec}}\"", "\"foo, bar, baz\""),
        SpecCase("Variable test", ["foo": "bar"], "\"{{#foo}}{{.}} is {{foo}}{{/foo}}\"", "\"bar is bar\""),
        SpecCase("List Context", ["tops": [["tname": ["upper": "A", "lower": "a"],
                                            "middles": [["mname": "1", "bottoms": [["bname": "x"], ["bname": "y"]]]]]]],
                 "{{#tops}}{{#middles}}{{tname.lower}}{{mname}}.{{#bottoms}}{{tname.upper}}{{mname}}{{bname}}.{{/bottoms}}{{/middles}}{{/tops}}",
                 "a1.A1x.A1y."),
        SpecCase("Deeply Nested Contexts", ["a": ["one": "1"], "b": ["two": "2"], "c": ["three": "3", "d": ["four": "4", "five": "5"]]],
                 "{{#a}}\n{{one}}\n{{#b}}\n{{one}}{{two}}{{one}}\n{{#c}}\n{{one}}{{two}}{{three}}{{two}}{{one}}\n{{#d}}\n{{one}}{{two}}{{three}}{{four}}{{three}}{{two}}{{one}}\n{{#five}}\n{{one}}{{two}}{{three}}{{four}}{{five}}{{four}}{{three}}{{two}}{{one}}\n{{one}}{{two}}{{three}}{{four}}{{.}}6{{.}}{{four}}{{three}}{{two}}{{one}}\n{{one}}{{two}}{{three}}{{four}}{{five}}{{four}}{{three}}{{two}}{{one}}\n{{/five}}\n{{one}}{{two}}{{three}}{{four}}{{three}}{{two}}{{one}}\n{{/d}}\n{{one}}{{two}}{{three}}{{two}}{{one}}\n{{/c}}\n{{one}}{{two}}{{one}}\n{{/b}}\n{{one}}\n{{/a}}\n",
                 "1\n121\n12321\n1234321\n123454321\n12345654321\n123454321\n1234321\n12321\n121\n1\n"),
        SpecCase("List", ["list": [["item": "1"], ["item": "2"], ["item": "3"]]], "\"{{#list}}{{item}}{{/list}}\"", "\"123\""),
        SpecCase("Empty List", ["list": []], "\"{{#list}}Yay lists!{{/list}}\"", "\"\""),
        SpecCase("Doubled", ["bool": true, "two": "second"], "{{#bool}}\n* first\n{{/bool}}\n* {{two}}\n{{#bool}}\n* third\n{{/bool}}\n",
                 "* first\n* second\n* third\n"),
        SpecCase("Nested (Truthy)", ["bool": true], "| A {{#bool}}B {{#bool}}C{{/bool}} D{{/bool}} E |", "| A B C D E |"),
        SpecCase("Nested (Falsey)", ["bool": false], "| A {{#bool}}B {{#bool}}C{{/bool}} D{{/bool}} E |", "| A  E |"),
        SpecCase("Context Misses", [:], "[{{#missing}}Found key 'missing'!{{/missing}}]", "[]"),
        SpecCase("Implicit Iterator - String", ["list": ["a", "b", "c", "d", "e"]], "\"{{#list}}({{.}}){{/list}}\"", "\"(a)(b)(c)(d)(e)\""),
        SpecCase("Implicit Iterator - Array", ["list": [["1", "2", "3"], ["a", "b", "c"]]],
                 "\"{{#list}}({{#.}}{{.}}{{/.}}){{/list}}\"", "\"(123)(abc)\""),
        SpecCase("Dotted Names - Truthy", ["a": ["b": ["c": true]]], "\"{{#a.b.c}}Here{{/a.b.c}}\" == \"Here\"", "\"Here\" == \"Here\""),
        SpecCase("Dotted Names - Falsey", ["a": ["b": ["c": false]]], "\"{{#a.b.c}}Here{{/a.b.c}}\" == \"\"", "\"\" == \"\""),
        SpecCase("Dotted Names - Broken Chains", ["a": [:]], "\"{{#a.b.c}}Here{{/a.b.c}}\" == \"\"", "\"\" == \"\""),
        SpecCase("Surrounding Whitespace", ["boolean": true], " | {{#boolean}}\t|\t{{/boolean}} | \n", " | \t|\t | \n"),
        SpecCase("Internal Whitespace", ["boolean": true], " | {{#boolean}} {{! Important Whitespace }}\n {{/boolean}} | \n", " |  \n  | \n"),
        SpecCase("Indented Inline Sections", ["boolean": true], " {{#boolean}}YES{{/boolean}}\n {{#boolean}}GOOD{{/boolean}}\n", " YES\n GOOD\n"),
        SpecCase("Standalone Lines", ["boolean": true], "| This Is\n{{#boolean}}\n|\n{{/boolean}}\n| A Line\n", "| This Is\n|\n| A Line\n"),
        SpecCase("Indented Standalone Lines", ["boolean": true], "| This Is\n  {{#boolean}}\n|\n  {{/boolean}}\n| A Line\n", "| This Is\n|\n| A Line\n"),
        SpecCase("Standalone Line Endings", ["boolean": true], "|\r\n{{#boolean}}\r\n{{/boolean}}\r\n|", "|\r\n|"),
        SpecCase("Standalone Without Previous Line", ["boolean": true], "  {{#boolean}}\n#{{/boolean}}\n/", "#\n/"),
        SpecCase("Standalone Without Newline", ["boolean": true], "#{{#boolean}}\n/\n  {{/boolean}}", "#\n/\n"),
        SpecCase("Padding", ["boolean": true], "|{{# boolean }}={{/ boolean }}|", "|=|"),
    ]

    static let invertedCases: [SpecCase] = [
        SpecCase("Falsey", ["boolean": false], "\"{{^boolean}}This should be rendered.{{/boolean}}\"", "\"This should be rendered.\""),
        SpecCase("Truthy", ["boolean": true], "\"{{^boolean}}This should not be rendered.{{/boolean}}\"", "\"\""),
        SpecCase("Null is falsey", ["null": .null], "\"{{^null}}This should be rendered.{{/null}}\"", "\"This should be rendered.\""),
        SpecCase("Context", ["context": ["name": "Joe"]], "\"{{^context}}Hi {{name}}.{{/context}}\"", "\"\""),
        SpecCase("List", ["list": [["n": "1"], ["n": "2"], ["n": "3"]]], "\"{{^list}}{{n}}{{/list}}\"", "\"\""),
        SpecCase("Empty List", ["list": []], "\"{{^list}}Yay lists!{{/list}}\"", "\"Yay lists!\""),
        SpecCase("Doubled", ["bool": false, "two": "second"], "{{^bool}}\n* first\n{{/bool}}\n* {{two}}\n{{^bool}}\n* third\n{{/bool}}\n",
                 "* first\n* second\n* third\n"),
        SpecCase("Nested (Falsey)", ["bool": false], "| A {{^bool}}B {{^bool}}C{{/bool}} D{{/bool}} E |", "| A B C D E |"),
        SpecCase("Nested (Truthy)", ["bool": true], "| A {{^bool}}B {{^bool}}C{{/bool}} D{{/bool}} E |", "| A  E |"),
        SpecCase("Context Misses", [:], "[{{^missing}}Found key 'missing'!{{/missing}}]", "[Found key 'missing'!]"),
        SpecCase("Dotted Names - Truthy", ["a": ["b": ["c": true]]], "\"{{^a.b.c}}Not Here{{/a.b.c}}\" == \"\"", "\"\" == \"\""),
        SpecCase("Dotted Names - Falsey", ["a": ["b": ["c": false]]], "\"{{^a.b.c}}Not Here{{/a.b.c}}\" == \"Not Here\"", "\"Not Here\" == \"Not Here\""),
        SpecCase("Dotted Names - Broken Chains", ["a": [:]], "\"{{^a.b.c}}Not Here{{/a.b.c}}\" == \"Not Here\"", "\"Not Here\" == \"Not Here\""),
        SpecCase("Surrounding Whitespace", ["boolean": false], " | {{^boolean}}\t|\t{{/boolean}} | \n", " | \t|\t | \n"),
        SpecCase("Internal Whitespace", ["boolean": false], " | {{^boolean}} {{! Important Whitespace }}\n {{/boolean}} | \n", " |  \n  | \n"),
        SpecCase("Indented Inline Sections", ["boolean": false], " {{^boolean}}NO{{/boolean}}\n {{^boolean}}WAY{{/boolean}}\n", " NO\n WAY\n"),
        SpecCase("Standalone Lines", ["boolean": false], "| This Is\n{{^boolean}}\n|\n{{/boolean}}\n| A Line\n", "| This Is\n|\n| A Line\n"),
        SpecCase("Standalone Indented Lines", ["boolean": false], "| This Is\n  {{^boolean}}\n|\n  {{/boolean}}\n| A Line\n", "| This Is\n|\n| A Line\n"),
        SpecCase("Standalone Line Endings", ["boolean": false], "|\r\n{{^boolean}}\r\n{{/boolean}}\r\n|", "|\r\n|"),
        SpecCase("Standalone Without Previous Line", ["boolean": false], "  {{^boolean}}\n^{{/boolean}}\n/", "^\n/"),
        SpecCase("Standalone Without Newline", ["boolean": false], "^{{^boolean}}\n/\n  {{/boolean}}", "^\n/\n"),
        SpecCase("Padding", ["boolean": false], "|{{^ boolean }}={{/ boolean }}|", "|=|"),
    ]

    static let commentCases: [SpecCase] = [
        SpecCase("Inline", [:], "12345{{! Comment Block! }}67890", "1234567890"),
        SpecCase("Multiline", [:], "12345{{!\n  This is a\n  multi-line comment...\n}}67890\n", "1234567890\n"),
        SpecCase("Standalone", [:], "Begin.\n{{! Comment Block! }}\nEnd.\n", "Begin.\nEnd.\n"),
        SpecCase("Indented Standalone", [:], "Begin.\n  {{! Indented Comment Block! }}\nEnd.\n", "Begin.\nEnd.\n"),
        SpecCase("Standalone Line Endings", [:], "|\r\n{{! Standalone Comment }}\r\n|", "|\r\n|"),
        SpecCase("Standalone Without Previous Line", [:], "  {{! I'm Still Standalone }}\n!", "!"),
        SpecCase("Standalone Without Newline", [:], "!\n  {{! I'm Still Standalone }}", "!\n"),
        SpecCase("Multiline Standalone", [:], "Begin.\n{{!\nSomething's going on here...\n}}\nEnd.\n", "Begin.\nEnd.\n"),
        SpecCase("Indented Multiline Standalone", [:], "Begin.\n  {{!\n    Something's going on here...\n  }}\nEnd.\n", "Begin.\nEnd.\n"),
        SpecCase("Indented Inline", [:], "  12 {{! 34 }}\n", "  12 \n"),
        SpecCase("Surrounding Whitespace", [:], "12345 {{! Comment Block! }} 67890", "12345  67890"),
        SpecCase("Variable Name Collision", ["! comment": "1", "! comment ": "2", "!comment": "3", "comment": "4"],
                 "comments never show: >{{! comment }}<", "comments never show: ><"),
    ]

    @Test(arguments: interpolationCases) func interpolation(_ c: SpecCase) throws { try check(c) }
    @Test(arguments: sectionCases) func sections(_ c: SpecCase) throws { try check(c) }
    @Test(arguments: invertedCases) func inverted(_ c: SpecCase) throws { try check(c) }
    @Test(arguments: commentCases) func comments(_ c: SpecCase) throws { try check(c) }

    func check(_ c: SpecCase) throws {
        let t = try MustacheTemplate(c.template, name: "spec")
        #expect(t.render(c.data) == c.expected, "\(c.name)")
    }
}

@Suite struct MustacheTests {
    @Test func tableCellsAreEscapedAndProseIsNot() throws {
        let t = try MustacheTemplate("Note: {{v}}\n| a | {{v}} | {{{v}}} |\n", name: "t")
        #expect(t.render(["v": "x | y\nz"]) == "Note: x | y\nz\n| a | x \\| y<br>z | x | y\nz |\n")
    }

    @Test func noHTMLEscaping() throws {
        #expect(try MustacheTemplate("{{v}}", name: "t").render(["v": "<a href=\"x\">&</a>"]) == "<a href=\"x\">&</a>")
    }

    @Test(arguments: [
        ("line one\n{{#a}}\nx\n", "template t.mustache:2: section 'a' is never closed; add '{{/a}}'"),
        ("{{#a}}\n{{/b}}\n", "template t.mustache:2: '{{/b}}' does not match '{{#a}}' opened at line 1"),
        ("\n\n{{/b}}", "template t.mustache:3: '{{/b}}' closes a section that was never opened"),
        ("a\n{{> part}}\n", "template t.mustache:2: partials ('{{> part}}') are not supported"),
        ("{{=<% %>=}}", "template t.mustache:1: changing delimiters ('{{=…=}}') is not supported"),
        ("x\ny {{name", "template t.mustache:2: '{{' is not closed with '}}'"),
        ("{{a b}}", "template t.mustache:1: 'a b' is not a variable name (letters, digits, _ and -, dotted: a.b, or '.')"),
        ("{{}}", "template t.mustache:1: empty tag"),
    ])
    func errorsNameTheLine(_ template: String, _ message: String) {
        let error = #expect(throws: AttestError.self) { try MustacheTemplate(template, name: "t.mustache") }
        #expect(error?.description == message)
    }
}
