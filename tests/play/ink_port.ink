VAR favours = 0

-> corridor

=== function majority(votes, seats) ===
~ temp half = seats / 2
~ return votes > half

=== corridor ===
You walk the long corridor of the Kremlin.
-> greet("Kamenev", 2) ->
The door to the office stands <>
{favours > 0: open|shut}.
-> office

=== greet(who, warmth) ===
~ temp nods = warmth + 1
{who} nods {nods} times.
+ [Shake hands]
    ~ favours = favours + warmth
    You shake hands with {who}.
+ [Walk past]
    You walk past {who}.
- ->->

=== office ===
Stalin's office. The secretary waits.
* (ask) [Ask about Lenin's letter]
    "Which letter?" he says.
    -> office
+ (wait) [Wait for the General Secretary]
    -> greet("Zinoviev", 1) ->
    -> hall
* {ask} [Leave with the copy]
    -> hall

=== hall ===
{office.wait: You waited in vain.|You left before he came.}
The vote is <>
-> count_heads ->
, with {favours} promised.
{majority(favours + 2, 7): The Politburo is yours.|The Politburo is not yours.}
* {office.ask} [Tell Kamenev about the letter]
    -> told
* [Say nothing]
    -> silent

=== count_heads ===
{favours + 2} of 7<>
->->

=== told ===
Kamenev goes pale.
-> END

=== silent ===
You keep the secret.
-> END
